// Choosing the next token from logits, on the CPU (the logits of one row are small): greedy,
// temperature, top-k, top-p (nucleus), and beam search over a model given as a function from
// sequences to next-token logits. Seeded: the same Rng state gives the same choices.
import { Rng } from '../../util/prng';

export interface SampleOptions {
  /** Softmax temperature; ≤ 1e-6 (or 0) means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** log softmax(logits) in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! - m);
  const lse = m + Math.log(s);
  return Float64Array.from(logits, (v) => v - lse);
}

/**
 * The distribution sampling draws from: softmax(logits / T), restricted to the top k, then to
 * the nucleus of mass p (renormalised; tokens left out get probability 0). Ties at the k-th
 * value are broken by index, so exactly min(k, V) tokens survive top-k.
 */
export function samplingProbs(logits: ArrayLike<number>, o: SampleOptions = {}): Float64Array {
  const V = logits.length;
  const T = o.temperature ?? 1;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const keep = new Uint8Array(V);
  const k = o.topK && o.topK > 0 ? Math.min(o.topK, V) : V;
  for (let r = 0; r < k; r++) keep[order[r]!] = 1;
  const m = logits[order[0]!]!;
  const p = new Float64Array(V);
  let s = 0;
  for (let i = 0; i < V; i++) {
    if (!keep[i]) continue;
    p[i] = Math.exp((logits[i]! - m) / T);
    s += p[i]!;
  }
  for (let i = 0; i < V; i++) p[i]! /= s;
  const topP = o.topP ?? 1;
  if (topP < 1) {
    // keep tokens in order until the kept mass reaches topP (the most likely one always stays)
    let mass = 0;
    let r = 0;
    for (; r < k; r++) {
      mass += p[order[r]!]!;
      if (mass >= topP) break;
    }
    for (let j = r + 1; j < V; j++) p[order[j]!] = 0;
    let s2 = 0;
    for (let i = 0; i < V; i++) s2 += p[i]!;
    for (let i = 0; i < V; i++) p[i]! /= s2;
  }
  return p;
}

/** Draw the next token. Temperature ≤ 1e-6 is greedy and draws nothing from rng. */
export function sampleNext(logits: ArrayLike<number>, rng: Rng, o: SampleOptions = {}): number {
  if ((o.temperature ?? 1) <= 1e-6) return argmax(logits);
  const p = samplingProbs(logits, o);
  let u = rng.next();
  for (let i = 0; i < p.length; i++) {
    u -= p[i]!;
    if (u < 0 && p[i]! > 0) return i;
  }
  // rounding left u ≥ 0: the last token with mass
  for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return 0;
}

/** Next-token logits for each sequence (all of one length). */
export type LogitsFn = (seqs: number[][]) => Promise<ArrayLike<number>[]>;

export interface BeamOptions {
  width: number;
  /** New tokens to add at most. */
  tokens: number;
  /** A finished hypothesis (e.g. it ends with a stop token); it stops growing. */
  stop?: (seq: number[]) => boolean;
  /** Length penalty α: hypotheses are ranked by logp / len^α (0: plain sum; default 0). */
  lengthPenalty?: number;
}

/**
 * Beam search: keep the `width` best partial continuations by total log-probability, extend each
 * by every token, keep the best `width` again. Width 1 is greedy decoding. Returns the best
 * sequence (prompt included) and its log-probability.
 */
export async function beamSearch(
  next: LogitsFn,
  prompt: number[],
  o: BeamOptions,
): Promise<{ seq: number[]; logp: number }> {
  const width = Math.max(1, Math.floor(o.width));
  const alpha = o.lengthPenalty ?? 0;
  const score = (b: { seq: number[]; logp: number }): number =>
    b.logp / Math.pow(Math.max(1, b.seq.length - prompt.length), alpha);
  let beams = [{ seq: prompt.slice(), logp: 0 }];
  const done: { seq: number[]; logp: number }[] = [];
  for (let step = 0; step < o.tokens && beams.length; step++) {
    const logits = await next(beams.map((b) => b.seq));
    const cands: { seq: number[]; logp: number }[] = [];
    beams.forEach((b, i) => {
      const lp = logSoftmax(logits[i]!);
      // only the `width` best extensions of each beam can survive
      const best = Array.from({ length: lp.length }, (_, t) => t)
        .sort((x, y) => lp[y]! - lp[x]! || x - y)
        .slice(0, width);
      for (const t of best) cands.push({ seq: [...b.seq, t], logp: b.logp + lp[t]! });
    });
    cands.sort((x, y) => y.logp - x.logp);
    beams = [];
    for (const c of cands) {
      if (beams.length >= width) break;
      if (o.stop?.(c.seq)) done.push(c);
      else beams.push(c);
    }
    if (done.length >= width) break;
  }
  const all = [...done, ...beams];
  all.sort((x, y) => score(y) - score(x));
  return all[0] ?? { seq: prompt.slice(), logp: 0 };
}
