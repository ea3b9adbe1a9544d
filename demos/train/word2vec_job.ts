// The word2vec training job of the train CLI / page (registered in jobs.ts): trains on the
// built-in relation corpus or the --corpus text, evaluates analogies (built-in questions or
// --questions) and the built-in similarity list, and returns vectors.txt as the "checkpoint".
import { io, word2vec, text, evaluation } from '../../src/index';
import type { Job } from './jobs';

export const word2vecJob: Job = async (ctx, job, progress) => {
  const opt = job.options;
  const n = (k: string): number | undefined => (typeof opt[k] === 'number' ? (opt[k] as number) : undefined);
  const o = word2vec.resolveOptions({
    mode: opt.mode as 'skipgram' | 'cbow' | undefined,
    dim: n('dim'),
    window: n('window'),
    negative: n('negative'),
    epochs: n('epochs'),
    minCount: n('min-count'),
    sample: n('sample'),
    alpha: n('alpha'),
    batch: n('batch'),
    seed: job.seed,
  });
  const builtin = job.files.corpus === undefined;
  const src = builtin
    ? text.builtinCorpus({ tokens: n('corpus-tokens') ?? word2vec.WORD2VEC_DEFAULTS.corpusTokens, seed: 1 })
    : text.stringSource(job.files.corpus!);
  const {
    model,
    vocab,
    progress: p,
    corpusWords,
  } = await word2vec.trainWord2Vec(ctx, src, o, {
    onProgress: (q) =>
      progress({
        step: q.words,
        total: q.totalWords,
        info: { epoch: `${q.epoch}/${q.epochs}`, 'words/s': Math.round(q.wordsPerSec), loss: q.loss, lr: q.lr },
      }),
  });
  try {
    const wv = await model.wordVectors();
    const questions = job.files.questions ?? (builtin ? text.builtinQuestions() : null);
    const acc = questions ? evaluation.analogyAccuracy(wv, questions) : null;
    const sim = builtin ? evaluation.similarityCorrelation(wv, text.builtinSimilarity()) : null;
    const vectors = await model.toText();
    return {
      metrics: {
        model: 'word2vec',
        mode: o.mode,
        words: corpusWords,
        vocab: vocab.size,
        epochs: o.epochs,
        words_per_sec: p.wordsPerSec,
        loss: p.loss,
        analogy_accuracy: acc ? acc.accuracy : null,
        analogy_sections: acc?.sections ?? null,
        analogy_questions: acc ? acc.total : 0,
        analogy_skipped: acc ? acc.skipped : 0,
        similarity_spearman: sim?.spearman ?? null,
        steps: p.batches,
        accuracy: acc ? acc.accuracy : NaN,
        corpus: builtin ? 'built-in' : 'file',
        knobs: o,
      },
      checkpoint: { 'vectors.txt': new TextEncoder().encode(vectors) } as unknown as io.CheckpointFiles,
    };
  } finally {
    model.destroy();
  }
};
