// The word2vec training job of the train CLI / page (registered in jobs.ts): trains on the
// built-in relation corpus or the --corpus text, evaluates analogies (built-in questions or
// --questions) and the built-in similarity list, and returns vectors.txt as the "checkpoint".
import type { CheckpointFiles } from '../../src/io/checkpoint';
import { trainWord2Vec, resolveOptions } from '../../src/models/word2vec';
import { stringSource } from '../../src/text/words';
import { builtinCorpus, builtinQuestions, builtinSimilarity } from '../../src/text/w2v_corpus';
import { analogyAccuracy, similarityCorrelation } from '../../src/eval/similarity';
import type { Job } from './jobs';

export const word2vecJob: Job = async (ctx, job, progress) => {
  const opt = job.options;
  const n = (k: string): number | undefined => (typeof opt[k] === 'number' ? (opt[k] as number) : undefined);
  const o = resolveOptions({
    mode: (opt.mode as 'skipgram' | 'cbow' | undefined) ?? 'skipgram',
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
  const src = builtin ? builtinCorpus({ tokens: n('corpus-tokens') ?? 300_000, seed: 1 }) : stringSource(job.files.corpus!);
  const { model, vocab, progress: p, corpusWords } = await trainWord2Vec(ctx, src, o, {
    onProgress: (q) => progress({ step: q.words, total: q.totalWords, info: { epoch: `${q.epoch}/${q.epochs}`, 'words/s': Math.round(q.wordsPerSec), loss: q.loss, lr: q.lr } }),
  });
  try {
    const wv = await model.wordVectors();
    const questions = job.files.questions ?? (builtin ? builtinQuestions() : null);
    const acc = questions ? analogyAccuracy(wv, questions) : null;
    const sim = builtin ? similarityCorrelation(wv, builtinSimilarity()) : null;
    const text = await model.toText();
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
      checkpoint: { 'vectors.txt': new TextEncoder().encode(text) } as unknown as CheckpointFiles,
    };
  } finally {
    model.destroy();
  }
};
