// Data for causal-LM training, as nanoGPT does it: the token stream is split into the first 90%
// (train) and the last 10% (validation); a batch is B random contiguous windows of T + 1 tokens
// (inputs = the first T, targets = the last T) drawn from a seeded counter-based generator, so
// the batch order is reproducible and a resumed run (the generator's counter is saved) continues
// with the same batches.
import { Rng } from '../../util/prng';
import { InputError, ShapeError } from '../../util/errors';
import { NgramLM, type NgramSmoothing } from '../../text/ngram';
import type { Tokenizer } from '../../text/tokenizer';

export interface LmSplit {
  train: Int32Array;
  val: Int32Array;
}

/** Tokens in the train and validation splits of a stream of n tokens. */
export function splitSizes(n: number, trainFraction = 0.9): { train: number; val: number } {
  const train = Math.floor(n * trainFraction);
  return { train, val: n - train };
}

/** First `trainFraction` (default 0.9) for training, the rest for validation. */
export function splitTokens(ids: ArrayLike<number>, trainFraction = 0.9): LmSplit {
  const all = Int32Array.from(ids);
  const n = splitSizes(all.length, trainFraction).train;
  return { train: all.subarray(0, n), val: all.subarray(n) };
}

/**
 * A text of n tokens is long enough for windows of `block` when its validation split holds a
 * window of block + 1 tokens with room to move (block + 2). The CLI checks a corpus with this
 * before the browser starts; the training loop checks the real token count again.
 */
export function checkLmSplit(n: number, block: number, unit = 'tokens'): void {
  const need = block + 2;
  if (splitSizes(n).val >= need) return;
  let min = need;
  while (splitSizes(min).val < need) min++;
  throw new InputError(
    `gpt: the text is ${n} ${unit}; its validation split (the last 10%) has ${splitSizes(n).val}, fewer than the ${need} that windows of --block ${block} need: give a text of at least ${min} ${unit} or a smaller --block`,
  );
}

export interface LmBatch {
  ids: Int32Array;
  targets: Int32Array;
}

/** B windows of T tokens at the given starts. */
export function batchAt(data: Int32Array, starts: readonly number[], T: number): LmBatch {
  const ids = new Int32Array(starts.length * T);
  const targets = new Int32Array(starts.length * T);
  starts.forEach((s, b) => {
    ids.set(data.subarray(s, s + T), b * T);
    targets.set(data.subarray(s + 1, s + T + 1), b * T);
  });
  return { ids, targets };
}

/** Random windows: starts uniform in [0, n − T − 1]. */
export function randomBatch(data: Int32Array, B: number, T: number, rng: Rng): LmBatch {
  const span = data.length - T - 1;
  if (span < 0) throw new ShapeError('gpt data', `${data.length} tokens are too few for windows of ${T + 1}`);
  return batchAt(
    data,
    Array.from({ length: B }, () => rng.int(span + 1)),
    T,
  );
}

/**
 * The unigram baseline in nats/token: cross-entropy of `val` under the train split's token
 * frequencies (add-one smoothed over the vocabulary). A model that learned nothing about
 * context scores about this.
 */
export function unigramBaseline(train: ArrayLike<number>, val: ArrayLike<number>, vocab: number): number {
  const counts = new Float64Array(vocab).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]!]! += 1;
  const total = train.length + vocab;
  let nll = 0;
  for (let i = 0; i < val.length; i++) nll -= Math.log(counts[val[i]!]! / total);
  return nll / Math.max(1, val.length);
}

/** The n-gram baseline's figures as the run's metrics report them (`baseline_ngram`). */
export interface NgramBaseline {
  n: number;
  smoothing: NgramSmoothing;
  /** Mean NLL of `val`, nats/token. */
  val_loss: number;
  /** Share of the validation n-grams (of order n) never seen in the train split. */
  unseen_fraction: number;
}

/**
 * The n-gram baseline in nats/token: an interpolated Kneser–Ney n-gram model (src/text/ngram.ts,
 * n = 3 by default) counted on the train split's tokens and scored on `val`. What counting the
 * last n - 1 tokens alone gets, to read the GPT's loss against.
 */
export function ngramBaseline(
  train: ArrayLike<number>,
  val: ArrayLike<number>,
  vocab: number,
  n = 3,
  smoothing: NgramSmoothing = 'kneser-ney',
): NgramBaseline {
  const e = NgramLM.train(train, { n, vocab, smoothing }).evaluate(val);
  return { n, smoothing, val_loss: e.nll, unseen_fraction: e.total > 0 ? e.unseen / e.total : 0 };
}

/** The seed of the validation windows (the same in every LM's runs). */
export const EVAL_SEED = 0x5eed;

/** `iters` fixed batches of B windows of T tokens from `val` (the same at every evaluation: comparable numbers). */
export function evalWindows(val: Int32Array, B: number, T: number, iters: number, seed = EVAL_SEED): LmBatch[] {
  const rng = new Rng(seed);
  const span = Math.max(0, val.length - T - 1);
  return Array.from({ length: iters }, () =>
    batchAt(
      val,
      Array.from({ length: B }, () => rng.int(span + 1)),
      T,
    ),
  );
}

/** The first line start in the validation text (a story's beginning), else its first tokens; n tokens. */
export function defaultPrompt(tokenizer: Tokenizer, val: Int32Array, n: number): string {
  const head = tokenizer.decode(Array.from(val.subarray(0, Math.min(val.length, 4000))));
  const nl = head.indexOf('\n');
  const from = nl >= 0 && nl + 1 < head.length ? head.slice(nl + 1) : head;
  return tokenizer.decode(tokenizer.encode(from).slice(0, n));
}
