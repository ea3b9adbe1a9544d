// Training word2vec: the one loop over the epochs (trainEpochs: the page calls it on a model it
// made, to draw the vectors while they train) and the whole run (trainWord2Vec: count the corpus,
// build the vocabulary, create the model and train it), with the hooks of ../hooks.ts.
import type { GpuContext } from '../../gpu/device';
import { countWords, Vocab, type TextSource } from '../../text/words';
import { resolveOptions, Word2Vec, type Word2VecOptions } from './model';
import { WORD2VEC_DEFAULTS } from './defaults';
import type { TrainHooks } from '../hooks';

export interface Word2VecProgress {
  epoch: number;
  epochs: number;
  /** Words read so far (in-vocabulary, before subsampling) and in the whole run. */
  words: number;
  totalWords: number;
  wordsPerSec: number;
  /** Mean loss per example of the latest measured batch (smoothed). */
  loss: number;
  lr: number;
  batches: number;
}

/**
 * Hooks: onProgress after every measured batch (about every `every` batches, default
 * WORD2VEC_DEFAULTS.progressEvery) and once at the end; shouldStop is polled before each batch.
 */
export interface Word2VecHooks extends TrainHooks<Word2VecProgress> {
  every?: number;
}

/** Train `model` over every epoch of `src` (or until shouldStop); returns the last progress. */
export async function trainEpochs(
  model: Word2Vec,
  src: TextSource,
  hooks: Word2VecHooks = {},
): Promise<Word2VecProgress> {
  const every = hooks.every ?? WORD2VEC_DEFAULTS.progressEvery;
  const o = model.o;
  const t0 = performance.now();
  const total = model.builder.totalWords;
  let last: Word2VecProgress = {
    epoch: 0,
    epochs: o.epochs,
    words: 0,
    totalWords: total,
    wordsPerSec: 0,
    loss: NaN,
    lr: o.alpha,
    batches: 0,
  };
  const stop = new Error('stopped');
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      await model.builder.epoch(src, epoch, async (b) => {
        if (hooks.shouldStop?.()) throw stop;
        const measure = model.batches % every === 0;
        const l = await model.step(b, measure);
        model.wordsRead = b.wordsRead;
        if (l !== null) {
          model.loss = Number.isNaN(model.loss) ? l : 0.7 * model.loss + 0.3 * l;
          const secs = (performance.now() - t0) / 1000;
          last = {
            epoch: epoch + 1,
            epochs: o.epochs,
            words: b.wordsRead,
            totalWords: total,
            wordsPerSec: b.wordsRead / Math.max(secs, 1e-9),
            loss: model.loss,
            lr: b.lr[b.examples - 1] ?? 0,
            batches: model.batches,
          };
          await hooks.onProgress?.(last);
        }
      });
    }
  } catch (e) {
    if (e !== stop) throw e;
  }
  // the final loss: one more read waits for the queue to drain
  await model.ctx.sync();
  const secs = (performance.now() - t0) / 1000;
  last = {
    ...last,
    words: model.wordsRead,
    wordsPerSec: model.wordsRead / Math.max(secs, 1e-9),
    loss: model.loss,
    batches: model.batches,
  };
  await hooks.onProgress?.(last);
  return last;
}

/** Count the corpus, build the vocabulary and train; the caller destroys the returned model. */
export async function trainWord2Vec(
  ctx: GpuContext,
  src: TextSource,
  opts: Word2VecOptions = {},
  hooks: Word2VecHooks = {},
): Promise<{ model: Word2Vec; vocab: Vocab; progress: Word2VecProgress; corpusWords: number }> {
  const o = resolveOptions(opts);
  const counts = await countWords(src);
  const vocab = Vocab.fromCounts(counts.counts, o.minCount);
  const model = Word2Vec.create(ctx, vocab, o);
  try {
    const progress = await trainEpochs(model, src, hooks);
    return { model, vocab, progress, corpusWords: counts.total };
  } catch (e) {
    model.destroy();
    throw e;
  }
}
