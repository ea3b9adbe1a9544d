// word2vec training examples, produced sentence by sentence from a streamed corpus into fixed-size
// batches (what one GPU step consumes). Follows word2vec.c:
//   • subsampling: each occurrence of word w is kept with keepProbability(count_w) (src/text/words.ts);
//     dropped words are removed before windows are formed, so windows reach past them;
//   • dynamic window: per center word, b = rand % window and the reach is window − b ∈ [1, window];
//   • skip-gram: one example per (center, context) pair: input = the context word (syn0), output =
//     the center word (syn1neg) as the positive plus `negative` draws from the unigram^0.75 table;
//     a center's pairs are consecutive, which the kernel relies on to run them in order (a chain);
//   • CBOW: one example per center word: input = the mean of its context words, output as above;
//   • a negative equal to the positive is skipped (id −1), as word2vec.c's `if (target == word)`;
//   • learning rate per example alpha · max(1 − wordsRead / (epochs · words + 1), 1e-4).
// Randomness: Rng(seed, stream 0x5000 + epoch) in a fixed order, so a seed fixes every batch.
import { Rng } from '../../util/prng';
import { keepTable, sentences, unigramTable, type TextSource, type Vocab } from '../../text/words';

export type W2vMode = 'skipgram' | 'cbow';

export interface BatchOptions {
  mode: W2vMode;
  window: number;
  negative: number;
  sample: number;
  alpha: number;
  epochs: number;
  seed: number;
  /** Examples per batch (E). */
  batch: number;
}

/** One batch. Unused rows (past `examples`) hold ids −1 and lr 0. */
export interface W2vBatch {
  examples: number;
  /** (E, S) input word ids: S = 1 for skip-gram, 2·window for CBOW; −1 = empty slot. */
  inIds: Int32Array;
  /** (E, O) output ids, O = 1 + negative: column 0 the positive, the rest negatives; −1 = skipped. */
  outIds: Int32Array;
  /** (E) learning rate of each example. */
  lr: Float32Array;
  /** Words read so far in this run (in-vocabulary, before subsampling), at the batch's end. */
  wordsRead: number;
  epoch: number;
}

export class BatchBuilder {
  readonly slots: number;
  readonly outs: number;
  private readonly keep: Float64Array;
  private readonly table: Int32Array;
  private readonly b: W2vBatch;

  constructor(
    readonly vocab: Vocab,
    readonly o: BatchOptions,
  ) {
    this.slots = o.mode === 'skipgram' ? 1 : 2 * o.window;
    this.outs = 1 + o.negative;
    this.keep = keepTable(vocab, o.sample);
    this.table = unigramTable(vocab.counts, Math.max(1 << 16, Math.min(1 << 24, 64 * vocab.size)));
    const E = o.batch;
    this.b = {
      examples: 0,
      inIds: new Int32Array(E * this.slots).fill(-1),
      outIds: new Int32Array(E * this.outs).fill(-1),
      lr: new Float32Array(E),
      wordsRead: 0,
      epoch: 0,
    };
  }

  /** Total words the run reads: epochs · words per epoch (the learning-rate schedule's length). */
  get totalWords(): number {
    return this.o.epochs * this.vocab.total;
  }

  private clear(): void {
    this.b.inIds.fill(-1);
    this.b.outIds.fill(-1);
    this.b.lr.fill(0);
    this.b.examples = 0;
  }

  /**
   * Stream epoch `epoch` of `src`: `onBatch` gets each full batch (and the last, partial one).
   * The batch's arrays are reused: upload or copy them before the returned promise settles.
   */
  async epoch(src: TextSource, epoch: number, onBatch: (b: W2vBatch) => Promise<void>): Promise<void> {
    const { window: W, alpha, batch: E, mode } = this.o;
    const rng = new Rng(this.o.seed, 0x5000 + epoch);
    const S = this.slots;
    const O = this.outs;
    const T = this.table.length;
    const b = this.b;
    const total = this.totalWords + 1;
    let read = epoch * this.vocab.total;
    b.epoch = epoch;
    this.clear();
    const kept = new Int32Array(1000);
    const emit = async (inputs: Int32Array | number[], nIn: number, center: number, lr: number): Promise<void> => {
      const e = b.examples++;
      for (let s = 0; s < nIn; s++) b.inIds[e * S + s] = inputs[s]!;
      b.outIds[e * O] = center;
      for (let k = 1; k < O; k++) {
        const t = this.table[rng.nextU32() % T]!;
        b.outIds[e * O + k] = t === center ? -1 : t;
      }
      b.lr[e] = lr;
      if (b.examples === E) {
        b.wordsRead = read;
        await onBatch(b);
        this.clear();
      }
    };
    const ctx: number[] = [];
    for await (const sen of sentences(src, this.vocab)) {
      let n = 0;
      for (let i = 0; i < sen.length; i++) {
        const w = sen[i]!;
        if (this.keep[w]! < 1 && this.keep[w]! < rng.next()) continue;
        kept[n++] = w;
      }
      for (let i = 0; i < n; i++) {
        // word2vec.c's alpha follows the words read (kept or not): interpolate within the sentence
        const lr = alpha * Math.max(1 - (read + (i * sen.length) / n) / total, 1e-4);
        const reach = W - (rng.nextU32() % W);
        const lo = Math.max(0, i - reach);
        const hi = Math.min(n - 1, i + reach);
        if (mode === 'skipgram') {
          for (let c = lo; c <= hi; c++) if (c !== i) await emit([kept[c]!], 1, kept[i]!, lr);
        } else {
          ctx.length = 0;
          for (let c = lo; c <= hi; c++) if (c !== i) ctx.push(kept[c]!);
          if (ctx.length) await emit(ctx, ctx.length, kept[i]!, lr);
        }
      }
      read += sen.length;
    }
    if (b.examples > 0) {
      b.wordsRead = read;
      await onBatch(b);
      this.clear();
    }
  }
}
