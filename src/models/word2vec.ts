// word2vec (skip-gram or CBOW with negative sampling) trained on the GPU in minibatches.
//
// Data: the corpus is streamed twice per run — once to count words (vocabulary), then once per
// epoch to make examples (src/text/w2v_batches.ts) — chunk by chunk, never held whole.
// Step: per batch of E examples, one kernel computes every example's gradient rows from the
// parameters as they were before the batch, then the deterministic scatter-add sums colliding
// rows in a fixed order (src/ops/word2vec.ts). This is "Hogwild-free" minibatch SGD: word2vec.c
// instead applies each pair's update at once, racing between threads (Hogwild), so a later pair
// sees an earlier pair's update and runs are not reproducible. Here the same seed gives
// bit-identical vectors; the cost is that a word occurring many times in one batch gets the sum
// of updates computed from stale values. The worst case, the pairs of one skip-gram center all
// updating that center's output row, is run in order (a "chain", shaders/word2vec.wgsl); the rest
// is kept small by the default batch of 1024 examples (measured against gensim in the README).
import type { GpuContext } from '../gpu/device';
import { Recorder } from '../gpu/recorder';
import { tensorFrom, type Tensor } from '../gpu/tensor';
import { W2vBuffers, w2vStep } from '../ops/word2vec';
import { Rng } from '../util/prng';
import { ShapeError } from '../util/errors';
import { countWords, Vocab, type TextSource } from '../text/words';
import { BatchBuilder, type W2vBatch, type W2vMode } from '../text/w2v_batches';
import { WordVectors } from '../eval/similarity';
import { writeWord2vecText } from '../io/word2vec_format';

export interface Word2VecOptions {
  mode?: W2vMode;
  dim?: number;
  window?: number;
  negative?: number;
  epochs?: number;
  minCount?: number;
  /** Subsampling threshold (word2vec.c's -sample); 0 keeps every word. */
  sample?: number;
  /** Starting learning rate (default 0.025 skip-gram, 0.05 CBOW, as word2vec.c). */
  alpha?: number;
  seed?: number;
  /** Examples per GPU step: skip-gram pairs or CBOW windows (default 1024). */
  batch?: number;
}

export type ResolvedOptions = Required<Word2VecOptions>;

export function resolveOptions(o: Word2VecOptions = {}): ResolvedOptions {
  const mode = o.mode ?? 'skipgram';
  const r: ResolvedOptions = {
    mode,
    dim: o.dim ?? 100,
    window: o.window ?? 5,
    negative: o.negative ?? 5,
    epochs: o.epochs ?? 5,
    minCount: o.minCount ?? 5,
    sample: o.sample ?? 1e-3,
    alpha: o.alpha ?? (mode === 'cbow' ? 0.05 : 0.025),
    seed: o.seed ?? 1,
    batch: o.batch ?? 1024,
  };
  const pos = (k: keyof ResolvedOptions, min: number): void => {
    const v = r[k] as number;
    if (!(Number.isInteger(v) && v >= min)) throw new ShapeError('word2vec', `${k} must be an integer ≥ ${min}, got ${v}`);
  };
  if (mode !== 'skipgram' && mode !== 'cbow') throw new ShapeError('word2vec', `mode must be skipgram or cbow, got ${String(mode)}`);
  pos('dim', 1);
  pos('window', 1);
  pos('negative', 0);
  pos('epochs', 1);
  pos('minCount', 1);
  pos('batch', 1);
  pos('seed', 0);
  if (!(r.sample >= 0)) throw new ShapeError('word2vec', `sample must be ≥ 0, got ${r.sample}`);
  if (!(r.alpha > 0)) throw new ShapeError('word2vec', `alpha must be > 0, got ${r.alpha}`);
  return r;
}

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
 * syn0 uniform in [−1/D, 1/D) as gensim 4 (word2vec.c and gensim 3 use ±0.5/D: on a small corpus
 * that starts slower and ends measurably farther from gensim, see the README), syn1 (syn1neg) zero.
 */
export function initTables(V: number, D: number, seed: number): { syn0: Float32Array; syn1: Float32Array } {
  const rng = new Rng(seed, 0x5eed);
  const syn0 = new Float32Array(V * D);
  for (let i = 0; i < syn0.length; i++) syn0[i] = (2 * rng.next() - 1) / D;
  return { syn0, syn1: new Float32Array(V * D) };
}

export class Word2Vec {
  readonly builder: BatchBuilder;
  private bufs: W2vBuffers;
  loss = NaN;
  batches = 0;
  wordsRead = 0;

  private constructor(
    readonly ctx: GpuContext,
    readonly vocab: Vocab,
    readonly o: ResolvedOptions,
    readonly syn0: Tensor,
    readonly syn1: Tensor,
  ) {
    this.builder = new BatchBuilder(vocab, { ...o });
    this.bufs = new W2vBuffers(ctx, o.batch, this.builder.slots, this.builder.outs, vocab.size, o.dim);
  }

  static create(ctx: GpuContext, vocab: Vocab, opts: Word2VecOptions = {}): Word2Vec {
    const o = resolveOptions(opts);
    const { syn0, syn1 } = initTables(vocab.size, o.dim, o.seed);
    return new Word2Vec(ctx, vocab, o, tensorFrom(ctx, syn0, [vocab.size, o.dim], 'f32', 'word2vec.syn0'), tensorFrom(ctx, syn1, [vocab.size, o.dim], 'f32', 'word2vec.syn1'));
  }

  /** One GPU step on a batch; when `readLoss`, waits for it and returns its mean loss per example. */
  async step(b: W2vBatch, readLoss: boolean): Promise<number | null> {
    this.bufs.write(b.inIds, b.outIds, b.lr);
    const rec = new Recorder(this.ctx, { label: 'word2vec' });
    await w2vStep(rec, this.syn0, this.syn1, this.bufs);
    rec.submit();
    this.batches++;
    if (!readLoss) return null;
    const l = (await this.bufs.loss.read()) as Float32Array;
    let s = 0;
    for (let i = 0; i < b.examples; i++) s += l[i]!;
    return s / Math.max(1, b.examples);
  }

  /** Train every epoch over `src`; progress is reported about every `every` batches. */
  async train(src: TextSource, hooks: { onProgress?: (p: Word2VecProgress) => void | Promise<void>; every?: number; shouldStop?: () => boolean } = {}): Promise<Word2VecProgress> {
    const every = hooks.every ?? 8;
    const t0 = performance.now();
    const total = this.builder.totalWords;
    let last: Word2VecProgress = { epoch: 0, epochs: this.o.epochs, words: 0, totalWords: total, wordsPerSec: 0, loss: NaN, lr: this.o.alpha, batches: 0 };
    const stop = new Error('stopped');
    try {
      for (let epoch = 0; epoch < this.o.epochs; epoch++) {
        await this.builder.epoch(src, epoch, async (b) => {
          if (hooks.shouldStop?.()) throw stop;
          const measure = this.batches % every === 0;
          const l = await this.step(b, measure);
          this.wordsRead = b.wordsRead;
          if (l !== null) {
            this.loss = Number.isNaN(this.loss) ? l : 0.7 * this.loss + 0.3 * l;
            const secs = (performance.now() - t0) / 1000;
            last = { epoch: epoch + 1, epochs: this.o.epochs, words: b.wordsRead, totalWords: total, wordsPerSec: b.wordsRead / Math.max(secs, 1e-9), loss: this.loss, lr: b.lr[b.examples - 1] ?? 0, batches: this.batches };
            await hooks.onProgress?.(last);
          }
        });
      }
    } catch (e) {
      if (e !== stop) throw e;
    }
    // the final loss: one more read waits for the queue to drain
    await this.ctx.sync();
    const secs = (performance.now() - t0) / 1000;
    last = { ...last, words: this.wordsRead, wordsPerSec: this.wordsRead / Math.max(secs, 1e-9), loss: this.loss, batches: this.batches };
    await hooks.onProgress?.(last);
    return last;
  }

  /** The input vectors (syn0), (V, D). */
  async vectors(): Promise<Float32Array> {
    return (await this.syn0.read()) as Float32Array;
  }

  async wordVectors(): Promise<WordVectors> {
    return new WordVectors(this.vocab.words, await this.vectors(), this.o.dim);
  }

  async toText(): Promise<string> {
    return writeWord2vecText(this.vocab.words, await this.vectors(), this.o.dim);
  }

  destroy(): void {
    this.bufs.release();
    this.syn0.release();
    this.syn1.release();
  }
}

/** Count the corpus, build the vocabulary and train; the caller destroys the returned model. */
export async function trainWord2Vec(
  ctx: GpuContext,
  src: TextSource,
  opts: Word2VecOptions = {},
  hooks: Parameters<Word2Vec['train']>[1] = {},
): Promise<{ model: Word2Vec; vocab: Vocab; progress: Word2VecProgress; corpusWords: number }> {
  const o = resolveOptions(opts);
  const counts = await countWords(src);
  const vocab = Vocab.fromCounts(counts.counts, o.minCount);
  const model = Word2Vec.create(ctx, vocab, o);
  try {
    const progress = await model.train(src, hooks);
    return { model, vocab, progress, corpusWords: counts.total };
  } catch (e) {
    model.destroy();
    throw e;
  }
}
