// word2vec (skip-gram or CBOW with negative sampling) on the GPU in minibatches: the model and its
// step (the epoch loop is train.ts).
//
// Data: the corpus is streamed twice per run — once to count words (vocabulary), then once per
// epoch to make examples (data.ts) — chunk by chunk, never held whole.
// Step: per batch of E examples, one kernel computes every example's gradient rows from the
// parameters as they were before the batch, then the deterministic scatter-add sums colliding
// rows in a fixed order (src/ops/word2vec.ts). This is "Hogwild-free" minibatch SGD: word2vec.c
// instead applies each pair's update at once, racing between threads (Hogwild), so a later pair
// sees an earlier pair's update and runs are not reproducible. Here the same seed gives
// bit-identical vectors; the cost is that a word occurring many times in one batch gets the sum
// of updates computed from stale values. The worst case, the pairs of one skip-gram center all
// updating that center's output row, is run in order (a "chain", shaders/word2vec.wgsl); the rest
// is kept small by the default batch of 1024 examples (measured against gensim in the README).
import type { GpuContext } from '../../gpu/device';
import { Recorder } from '../../gpu/recorder';
import { tensorFrom, type Tensor } from '../../gpu/tensor';
import { W2vBuffers, w2vStep } from '../../ops/word2vec';
import { Rng } from '../../util/prng';
import { ShapeError } from '../../util/errors';
import type { Vocab } from '../../text/words';
import { BatchBuilder, type W2vBatch, type W2vMode } from './data';
import { WordVectors } from '../../eval/similarity';
import { writeWord2vecText } from '../../io/word2vec_format';
import { WORD2VEC_DEFAULTS as D } from './defaults';

export interface Word2VecOptions {
  mode?: W2vMode;
  dim?: number;
  window?: number;
  negative?: number;
  epochs?: number;
  minCount?: number;
  /** Subsampling threshold (word2vec.c's -sample); 0 keeps every word. */
  sample?: number;
  /** Starting learning rate (default WORD2VEC_DEFAULTS.alpha by mode: 0.025 skip-gram, 0.05 CBOW, as word2vec.c). */
  alpha?: number;
  seed?: number;
  /** Examples per GPU step: skip-gram pairs or CBOW windows (default WORD2VEC_DEFAULTS.batch). */
  batch?: number;
}

export type ResolvedOptions = Required<Word2VecOptions>;

export function resolveOptions(o: Word2VecOptions = {}): ResolvedOptions {
  const mode = o.mode ?? D.mode;
  const r: ResolvedOptions = {
    mode,
    dim: o.dim ?? D.dim,
    window: o.window ?? D.window,
    negative: o.negative ?? D.negative,
    epochs: o.epochs ?? D.epochs,
    minCount: o.minCount ?? D.minCount,
    sample: o.sample ?? D.sample,
    alpha: o.alpha ?? (mode === 'cbow' ? D.alpha.cbow : D.alpha.skipgram),
    seed: o.seed ?? D.seed,
    batch: o.batch ?? D.batch,
  };
  const pos = (k: keyof ResolvedOptions, min: number): void => {
    const v = r[k] as number;
    if (!(Number.isInteger(v) && v >= min))
      throw new ShapeError('word2vec', `${k} must be an integer ≥ ${min}, got ${v}`);
  };
  if (mode !== 'skipgram' && mode !== 'cbow')
    throw new ShapeError('word2vec', `mode must be skipgram or cbow, got ${String(mode)}`);
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
    return new Word2Vec(
      ctx,
      vocab,
      o,
      tensorFrom(ctx, syn0, [vocab.size, o.dim], 'f32', 'word2vec.syn0'),
      tensorFrom(ctx, syn1, [vocab.size, o.dim], 'f32', 'word2vec.syn1'),
    );
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
