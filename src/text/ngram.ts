// An n-gram language model (n = 1..5) over token ids: the count-based baseline a GPT's loss is read
// against. Add-k smoothing, or interpolated Kneser–Ney (Chen & Goodman 1998): the top order uses
// raw counts, lower orders continuation counts (how many distinct tokens precede the n-gram), and
// each order h has its own discount D_h = n1 / (n1 + 2·n2) from that order's counts of counts
// (0.75 where n1 or n2 is 0); the unigram level interpolates with the uniform 1/V.
//
// A context of h tokens is packed into one number, base P = V + 1 with every id stored as id + 1,
// the most recent token the lowest digit: key(c_1..c_h) = Σ_j (c_{h-j+1} + 1)·P^(j-1). Dropping
// the oldest token is `key % P^(h-1)`, and contexts of different lengths never share a key. The
// keys stay exact while P^(n-1) ≤ 2^53 (any vocabulary for n ≤ 3; V ≤ 9 740 for n = 5).
import { InputError } from '../util/errors';
import type { Rng } from '../util/prng';

export type NgramSmoothing = 'add-k' | 'kneser-ney';

export interface NgramOptions {
  /** Order: the model predicts a token from the n - 1 before it (1..5). */
  n: number;
  /** Vocabulary size V; every id is in [0, V). */
  vocab: number;
  smoothing: NgramSmoothing;
  /** Add-k's pseudo-count (> 0, default 1); unused by Kneser–Ney. */
  k?: number;
}

export interface NgramEval {
  /** Mean negative log-likelihood, nats/token, over every token of `ids`. */
  nll: number;
  perplexity: number;
  /** Held-out n-grams of the model's order that never occur in training. */
  unseen: number;
  /** Held-out n-grams of the model's order (ids.length - n + 1). */
  total: number;
  /** Tokens scored (the first n - 1 with the shorter context they have). */
  tokens: number;
}

/** The followers of one context: c(ctx), N1+(ctx •) and c(ctx, w) per w. */
interface Followers {
  total: number;
  next: Map<number, number>;
}

type Table = Map<number, Followers>;

const MAX_N = 5;

function bump(table: Table, key: number, w: number, by = 1): void {
  let f = table.get(key);
  if (!f) table.set(key, (f = { total: 0, next: new Map() }));
  f.total += by;
  f.next.set(w, (f.next.get(w) ?? 0) + by);
}

/** D = n1 / (n1 + 2·n2) from the counts of counts of a table; 0.75 where that is undefined. */
function discount(table: Table): number {
  let n1 = 0;
  let n2 = 0;
  for (const f of table.values())
    for (const c of f.next.values()) {
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
  return n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.75;
}

export class NgramLM {
  readonly n: number;
  readonly vocab: number;
  readonly smoothing: NgramSmoothing;
  readonly k: number;
  /** Kneser–Ney discount per history length h = 0..n-1 (for the continuation tables below n-1). */
  readonly discounts: number[];
  /** P^h for h = 0..n-1. */
  private readonly pow: number[];
  /** raw[h]: counts of (context of h tokens, next). */
  private readonly raw: Table[];
  /** cont[h] (h < n-1): N1+(• ctx w), the distinct tokens seen before (ctx, w). */
  private readonly cont: Table[];
  /** Discounts of raw[h] for h < n-1, used when a context is shorter than n-1 tokens (lazily). */
  private readonly rawDiscounts: number[] = [];

  private constructor(o: Required<NgramOptions>, raw: Table[], cont: Table[]) {
    this.n = o.n;
    this.vocab = o.vocab;
    this.smoothing = o.smoothing;
    this.k = o.k;
    this.raw = raw;
    this.cont = cont;
    this.pow = Array.from({ length: o.n }, (_, h) => (o.vocab + 1) ** h);
    this.discounts = raw.map((t, h) => discount(h < o.n - 1 ? cont[h]! : t));
  }

  static train(ids: ArrayLike<number>, o: NgramOptions): NgramLM {
    const opts = checkOptions(o);
    checkIdsIn(ids, opts.vocab, 'ids');
    const { n, vocab } = opts;
    const P = vocab + 1;
    const raw: Table[] = Array.from({ length: n }, () => new Map());
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i]!;
      let key = 0;
      let scale = 1;
      for (let h = 0; h < n && h <= i; h++) {
        if (h > 0) {
          key += (ids[i - h]! + 1) * scale;
          scale *= P;
        }
        bump(raw[h]!, key, w);
      }
    }
    // Continuation counts: each distinct (u·ctx, w) of order h+1 adds one to (ctx, w) of order h.
    const cont: Table[] = [];
    for (let h = 0; h < n - 1; h++) {
      const t: Table = new Map();
      const mod = P ** h;
      for (const [key, f] of raw[h + 1]!) for (const w of f.next.keys()) bump(t, key % mod, w);
      cont.push(t);
    }
    return new NgramLM(opts, raw, cont);
  }

  /** ln p(next | context); only the last n - 1 tokens of the context are used. */
  logProb(context: ArrayLike<number>, next: number): number {
    checkIdsIn(context, this.vocab, 'context');
    checkIdsIn([next], this.vocab, 'next');
    const keys = this.keys(context, context.length);
    return Math.log(this.prob(keys, next));
  }

  /** p(· | context) over the whole vocabulary (sums to 1). */
  distribution(context: ArrayLike<number>): Float64Array {
    checkIdsIn(context, this.vocab, 'context');
    const keys = this.keys(context, context.length);
    const V = this.vocab;
    const top = keys.length - 1;
    const p = new Float64Array(V);
    if (this.smoothing === 'add-k') {
      const f = this.raw[top]!.get(keys[top]!);
      const denom = (f?.total ?? 0) + this.k * V;
      for (let w = 0; w < V; w++) p[w] = ((f?.next.get(w) ?? 0) + this.k) / denom;
      return p;
    }
    p.fill(1 / V);
    for (let h = 0; h <= top; h++) {
      const f = (h === top ? this.raw : this.cont)[h]!.get(keys[h]!);
      if (!f) continue; // an unseen context passes the lower order through
      const D = h === top ? this.topDiscount(h) : this.discounts[h]!;
      const lam = (D * f.next.size) / f.total;
      for (let w = 0; w < V; w++) p[w] = lam * p[w]!;
      for (const [w, c] of f.next) p[w] = p[w]! + Math.max(c - D, 0) / f.total;
    }
    return p;
  }

  /** Mean NLL (nats/token) and perplexity of `ids`, each token given up to n - 1 before it. */
  evaluate(ids: ArrayLike<number>): NgramEval {
    checkIdsIn(ids, this.vocab, 'ids');
    const n = this.n;
    let nll = 0;
    let unseen = 0;
    for (let i = 0; i < ids.length; i++) {
      const keys = this.keys(ids, i);
      const w = ids[i]!;
      nll -= Math.log(this.prob(keys, w));
      if (keys.length === n && !this.raw[n - 1]!.get(keys[n - 1]!)?.next.has(w)) unseen++;
    }
    const tokens = ids.length;
    const mean = nll / Math.max(1, tokens);
    return { nll: mean, perplexity: Math.exp(mean), unseen, total: Math.max(0, tokens - n + 1), tokens };
  }

  /** `count` tokens drawn one after another from p(· | context so far), with a seeded Rng. */
  sample(context: ArrayLike<number>, rng: Rng, count: number): number[] {
    const ctx = Array.from(context);
    const out: number[] = [];
    for (let t = 0; t < count; t++) {
      const p = this.distribution(ctx.slice(-Math.max(1, this.n - 1)));
      const u = rng.next();
      let acc = 0;
      let w = p.length - 1;
      for (let i = 0; i < p.length; i++) {
        acc += p[i]!;
        if (u < acc) {
          w = i;
          break;
        }
      }
      out.push(w);
      ctx.push(w);
    }
    return out;
  }

  /**
   * Packed keys of the histories of length 0..min(n-1, end) ending just before `end` in `ids`
   * (keys[h] is the context of h tokens).
   */
  private keys(ids: ArrayLike<number>, end: number): number[] {
    const H = Math.min(this.n - 1, end);
    const keys = [0];
    for (let h = 1; h <= H; h++) keys.push(keys[h - 1]! + (ids[end - h]! + 1) * this.pow[h - 1]!);
    return keys;
  }

  /** The top level's discount: raw counts at n - 1, else (a shorter context) raw counts of that order. */
  private topDiscount(h: number): number {
    return h === this.n - 1 ? this.discounts[h]! : (this.rawDiscounts[h] ??= discount(this.raw[h]!));
  }
  private prob(keys: number[], w: number): number {
    const top = keys.length - 1;
    if (this.smoothing === 'add-k') {
      const f = this.raw[top]!.get(keys[top]!);
      return ((f?.next.get(w) ?? 0) + this.k) / ((f?.total ?? 0) + this.k * this.vocab);
    }
    // p_h(w) = max(c(ctx,w) - D, 0)/c(ctx) + D·N1+(ctx •)/c(ctx) · p_{h-1}(w), from p_{-1} = 1/V.
    let p = 1 / this.vocab;
    for (let h = 0; h <= top; h++) {
      const f = (h === top ? this.raw : this.cont)[h]!.get(keys[h]!);
      if (!f) continue;
      const D = h === top ? this.topDiscount(h) : this.discounts[h]!;
      p = Math.max((f.next.get(w) ?? 0) - D, 0) / f.total + ((D * f.next.size) / f.total) * p;
    }
    return p;
  }
}

function checkOptions(o: NgramOptions): Required<NgramOptions> {
  const { n, vocab, smoothing } = o;
  const k = o.k ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_N)
    throw new InputError(`NgramLM: n = ${n} is out of range; it must be an integer in 1..${MAX_N}`);
  if (!Number.isInteger(vocab) || vocab < 1)
    throw new InputError(`NgramLM: vocab = ${vocab} must be a positive integer`);
  if ((vocab + 1) ** (n - 1) > Number.MAX_SAFE_INTEGER)
    throw new InputError(
      `NgramLM: vocab = ${vocab} with n = ${n} packs contexts past 2^53 (the limit is (vocab + 1)^(n - 1) ≤ 2^53); use a smaller n`,
    );
  if (smoothing !== 'add-k' && smoothing !== 'kneser-ney')
    throw new InputError(`NgramLM: smoothing = ${String(smoothing)} must be 'add-k' or 'kneser-ney'`);
  if (!(k > 0) || !Number.isFinite(k)) throw new InputError(`NgramLM: k = ${k} must be a finite number > 0`);
  return { n, vocab, smoothing, k };
}

function checkIdsIn(ids: ArrayLike<number>, vocab: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vocab)
      throw new InputError(
        `NgramLM: ${what}[${i}] = ${v} is out of range; ids must be integers in [0, vocab = ${vocab})`,
      );
  }
}
