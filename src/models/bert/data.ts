// BERT's batches, pure TypeScript, from token ids: sentence pairs for next-sentence prediction,
// BERT's masking recipe, right padding to the block with per-sequence lengths, single sentences
// with labels for classification, and the accuracies read from the logits. Here a document is a
// list of sentences, each a list of token ids; a run's texts and their ids are corpus.ts.
//
// Masking (Devlin et al. 2019, §3.1 and appendix A.1): each real token other than [CLS], [SEP]
// and [PAD] is selected with probability 0.15; a selected token becomes [MASK] with
// probability 0.8, a random ordinary token with 0.1, and stays itself with 0.1. Its target is
// the original token; every other position has target −100 (ignored by the loss). Masks come
// from a seeded generator whose stream is the epoch, so they are drawn anew every epoch
// (dynamic masking) and a run is reproducible.
import { Rng } from '../../util/prng';
import type { WordPieceTokenizer } from '../../text/wordpiece';
import { IGNORE } from './graph';

export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
  /** Vocabulary size (random replacements are drawn from the ordinary ids below it). */
  vocabSize: number;
}

export interface MaskOptions {
  /** Selection probability (0.15). */
  select?: number;
  /** Of the selected: to [MASK] (0.8) and to a random token (0.1); the rest stay. */
  toMask?: number;
  toRandom?: number;
}

function isSpecial(s: SpecialIds, id: number): boolean {
  return id === s.pad || id === s.cls || id === s.sep || id === s.mask;
}

/** A random ordinary token (never [PAD], [CLS], [SEP], [MASK]). */
function randomToken(s: SpecialIds, rng: Rng): number {
  for (;;) {
    const t = rng.int(s.vocabSize);
    if (!isSpecial(s, t) && t !== s.unk) return t;
  }
}

/** BERT's masking of `ids` in place; returns the targets (original id or −100). */
export function maskTokens(ids: Int32Array, s: SpecialIds, rng: Rng, o: MaskOptions = {}): Int32Array {
  const select = o.select ?? 0.15;
  const toMask = o.toMask ?? 0.8;
  const toRandom = o.toRandom ?? 0.1;
  const targets = new Int32Array(ids.length).fill(IGNORE);
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (isSpecial(s, t) || rng.next() >= select) continue;
    targets[i] = t;
    const r = rng.next();
    if (r < toMask) ids[i] = s.mask;
    else if (r < toMask + toRandom) ids[i] = randomToken(s, rng);
  }
  return targets;
}

/** [CLS] a [SEP] (b [SEP]) truncated longest-first to fit T, segments 0 for a, 1 for b. */
export function packPair(
  a: readonly number[],
  b: readonly number[] | null,
  T: number,
  s: SpecialIds,
): { ids: number[]; segments: number[] } {
  let la = a.length;
  let lb = b ? b.length : 0;
  const room = T - (b ? 3 : 2);
  if (room < 1) throw new Error(`bert: block ${T} is too short for a sentence pair`);
  while (la + lb > room) {
    if (la >= lb) la--;
    else lb--;
  }
  const ids = [s.cls, ...a.slice(0, la), s.sep];
  const segments = ids.map(() => 0);
  if (b) {
    ids.push(...b.slice(0, lb), s.sep);
    while (segments.length < ids.length) segments.push(1);
  }
  return { ids, segments };
}

export interface EncodedBatch {
  /** (B·T) i32, right-padded with [PAD]. */
  input_ids: Int32Array;
  token_type_ids: Int32Array;
  /** (B) real lengths. */
  kv_len: Int32Array;
}

export interface PretrainBatch extends EncodedBatch {
  /** (B·T) original id at selected positions, −100 elsewhere. */
  labels: Int32Array;
  /** (B) 0 = B follows A, 1 = B is a random sentence. */
  next_sentence_label: Int32Array;
}

/** Pad sequences to T on the right. */
export function padBatch(seqs: { ids: number[]; segments: number[] }[], T: number, s: SpecialIds): EncodedBatch {
  const B = seqs.length;
  const input_ids = new Int32Array(B * T).fill(s.pad);
  const token_type_ids = new Int32Array(B * T);
  const kv_len = new Int32Array(B);
  seqs.forEach((q, b) => {
    if (q.ids.length > T) throw new Error(`bert: a sequence of ${q.ids.length} tokens does not fit the block ${T}`);
    input_ids.set(q.ids, b * T);
    token_type_ids.set(q.segments, b * T);
    kv_len[b] = q.ids.length;
  });
  return { input_ids, token_type_ids, kv_len };
}

/** A batcher's position, JSON-safe (saved in checkpoints so a resumed run draws the same batches). */
export interface BatcherState {
  [key: string]: number;
  epoch: number;
  cursor: number;
  counter: number;
}

function checkState(st: BatcherState, n: number, what: string): void {
  const ok = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!ok(st.epoch) || !ok(st.cursor) || !ok(st.counter) || st.cursor > n) {
    throw new Error(
      `bert: cannot resume the ${what} batches from ${JSON.stringify(st)} (cursor must be an integer in 0..${n}; the checkpoint is from other data)`,
    );
  }
}

/**
 * Pretraining batches over documents (each a list of sentences of ids). An epoch visits every
 * sentence that has a successor once, in an order shuffled by (seed, epoch); with probability
 * 0.5 the pair is (sentence, next sentence), else (sentence, a random sentence of another
 * document). Pairs and masks are drawn anew each epoch.
 */
export class PretrainBatcher {
  epoch = 0;
  cursor = 0;
  /** Pairs cut (longest-first) to fit the block so far: reported, never silent. */
  truncated = 0;
  private order: number[] = [];
  private rng: Rng;
  private readonly starts: [number, number][] = [];

  constructor(
    readonly docs: readonly (readonly number[][])[],
    readonly special: SpecialIds,
    readonly B: number,
    readonly T: number,
    readonly seed: number,
    readonly mask: MaskOptions = {},
  ) {
    docs.forEach((d, di) => d.forEach((_, si) => si + 1 < d.length && this.starts.push([di, si])));
    if (!this.starts.length) throw new Error('bert: the corpus needs a document with at least two sentences');
    this.rng = new Rng(seed, 1);
    this.shuffle();
  }

  private shuffle(): void {
    this.rng = new Rng(this.seed, 1000 + this.epoch);
    this.order = this.starts.map((_, i) => i);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
    }
  }

  /** Where the batcher is (epoch, position in the epoch's order, generator counter): saved with checkpoints. */
  state(): BatcherState {
    return { epoch: this.epoch, cursor: this.cursor, counter: this.rng.counter };
  }

  /** Continue from `state()` of a batcher built over the same documents with the same seed. */
  restore(st: BatcherState): void {
    checkState(st, this.starts.length, 'pretraining');
    this.epoch = st.epoch;
    this.shuffle();
    this.cursor = st.cursor;
    this.rng.counter = st.counter;
  }

  next(): PretrainBatch {
    const seqs: { ids: number[]; segments: number[] }[] = [];
    const nsp = new Int32Array(this.B);
    for (let b = 0; b < this.B; b++) {
      if (this.cursor >= this.order.length) {
        this.epoch++;
        this.cursor = 0;
        this.shuffle();
      }
      const [di, si] = this.starts[this.order[this.cursor++]!]!;
      const doc = this.docs[di]!;
      let second = doc[si + 1]!;
      if (this.docs.length > 1 && this.rng.next() < 0.5) {
        let dj = this.rng.int(this.docs.length - 1);
        if (dj >= di) dj++;
        const other = this.docs[dj]!;
        second = other[this.rng.int(other.length)]!;
        nsp[b] = 1;
      }
      const seq = packPair(doc[si]!, second, this.T, this.special);
      if (seq.ids.length < doc[si]!.length + second.length + 3) this.truncated++;
      seqs.push(seq);
    }
    const enc = padBatch(seqs, this.T, this.special);
    const labels = maskTokens(enc.input_ids, this.special, this.rng, this.mask);
    return { ...enc, labels, next_sentence_label: nsp };
  }
}

export interface LabelledBatch extends EncodedBatch {
  labels: Int32Array;
}

/** [CLS] sentence [SEP] for each example, padded; labels (B). */
export function classifyBatch(
  examples: readonly { ids: readonly number[]; label: number }[],
  T: number,
  s: SpecialIds,
): LabelledBatch {
  const enc = padBatch(
    examples.map((e) => packPair(e.ids, null, T, s)),
    T,
    s,
  );
  return { ...enc, labels: Int32Array.from(examples.map((e) => e.label)) };
}

/** Batches of B labelled examples in an order reshuffled every epoch by (seed, epoch). */
export class LabelledBatcher {
  epoch = 0;
  cursor = 0;
  private order: number[] = [];
  constructor(
    readonly examples: readonly { ids: readonly number[]; label: number }[],
    readonly special: SpecialIds,
    readonly B: number,
    readonly T: number,
    readonly seed: number,
  ) {
    if (!examples.length) throw new Error('bert: no labelled examples');
    this.shuffle();
  }
  private shuffle(): void {
    const rng = new Rng(this.seed, 5000 + this.epoch);
    this.order = this.examples.map((_, i) => i);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
    }
  }
  state(): BatcherState {
    return { epoch: this.epoch, cursor: this.cursor, counter: 0 };
  }

  restore(st: BatcherState): void {
    checkState(st, this.examples.length, 'labelled');
    this.epoch = st.epoch;
    this.shuffle();
    this.cursor = st.cursor;
  }

  next(): LabelledBatch {
    const picked: { ids: readonly number[]; label: number }[] = [];
    for (let b = 0; b < this.B; b++) {
      if (this.cursor >= this.order.length) {
        this.epoch++;
        this.cursor = 0;
        this.shuffle();
      }
      picked.push(this.examples[this.order[this.cursor++]!]!);
    }
    return classifyBatch(picked, this.T, this.special);
  }
}

/** Masked-token accuracy: argmax of logits (R, V) against targets where targets ≠ −100. */
export function maskedAccuracy(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  V: number,
): { right: number; total: number } {
  let right = 0;
  let total = 0;
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r]!;
    if (t === IGNORE) continue;
    total++;
    if (argmax(logits, r * V, V) === t) right++;
  }
  return { right, total };
}

export function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[off + j]! > a[off + best]!) best = j;
  return best;
}

/** Softmax of row r of (R, n) logits, in float64. */
export function softmaxRow(a: ArrayLike<number>, r: number, n: number): number[] {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) mx = Math.max(mx, a[r * n + j]!);
  const e = Array.from({ length: n }, (_, j) => Math.exp(a[r * n + j]! - mx));
  const sum = e.reduce((x, y) => x + y, 0);
  return e.map((x) => x / sum);
}

export function specialsOf(tok: WordPieceTokenizer): SpecialIds {
  return { pad: tok.padId, unk: tok.unkId, cls: tok.clsId, sep: tok.sepId, mask: tok.maskId, vocabSize: tok.vocabSize };
}
