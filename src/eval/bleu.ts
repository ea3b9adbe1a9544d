// Corpus BLEU (Papineni et al. 2002, "BLEU: a method for automatic evaluation of machine
// translation") with the conventions of sacreBLEU 2.x (Post 2018), so that our numbers can be
// quoted next to published ones:
// - modified n-gram precision, n = 1..4: each hypothesis n-gram counts at most as often as it
//   occurs in the reference that holds it most often (clipping); clipped matches and hypothesis
//   n-gram totals are summed over the whole corpus before dividing;
// - the score is the geometric mean of the four precisions times the brevity penalty
//   BP = 1 if c > r else exp(1 − r/c), with c the summed hypothesis length and r the summed
//   reference length, each sentence taking the reference closest in length (ties → the shorter);
// - smoothing as sacreBLEU names it (Chen & Cherry 2014): 'exp' (its default for corpus and
//   sentence BLEU alike), 'floor', 'add-k', 'none'; a corpus with no matching unigram scores 0.
// Strings are tokenized with sacreBLEU's default '13a' rules (mteval-v13a as sacreBLEU writes it)
// or split on whitespace; arrays of strings are taken as tokens already.
import { InputError } from '../util/errors';

/** A sentence: a string to tokenize, or its tokens. */
export type Text = string | readonly string[];
export type BleuTokenizer = '13a' | 'none';
export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';

export interface BleuOptions {
  /** '13a' (default, sacreBLEU's) or 'none' (split on whitespace only). Ignored for token arrays. */
  tokenize?: BleuTokenizer;
  /** Lowercase strings and tokens before counting (sacreBLEU `lowercase`); default false. */
  lowercase?: boolean;
  /** Default 'exp', as sacreBLEU. */
  smooth?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Average only over the orders the hypotheses reach (sacreBLEU `effective_order`); default false. */
  effectiveOrder?: boolean;
  /** Highest n-gram order, default 4. */
  maxOrder?: number;
}

export interface BleuScore {
  /** BLEU on a 0–100 scale. */
  score: number;
  /** Precision of each order in percent (after smoothing, as sacreBLEU reports them). */
  precisions: number[];
  /** Clipped matching n-grams of each order (before add-k). */
  counts: number[];
  /** Hypothesis n-grams of each order (before add-k). */
  totals: number[];
  bp: number;
  /** c: hypothesis tokens summed over the corpus. */
  sysLen: number;
  /** r: closest reference lengths summed over the corpus. */
  refLen: number;
}

// Whitespace as Python's str.split() sees it (sacreBLEU splits tokens with it): JS's \s lacks
// \x1c–\x1f and \x85 and adds \ufeff.
const PY_SPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Split on whitespace exactly as Python's `str.split()` with no argument. */
export function splitWhitespace(line: string): string[] {
  return line.split(PY_SPACE).filter((t) => t.length > 0);
}

// The 13a rules, learned from sacreBLEU's documentation and tokenizer: every ASCII symbol except
// the apostrophe, hyphen, period and comma becomes its own token; a period or comma is split off
// unless it sits between digits on that side; a hyphen after a digit is split off.
const SYMBOL = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/g;
const PUNCT_AFTER = /([^0-9])([.,])/g;
const PUNCT_BEFORE = /([.,])([^0-9])/g;
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

/** sacreBLEU's '13a' tokenizer (mteval-v13a): returns the tokens of one line. */
export function tokenize13a(line: string): string[] {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `
    .replace(SYMBOL, ' $1 ')
    .replace(PUNCT_AFTER, '$1 $2 ')
    .replace(PUNCT_BEFORE, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return splitWhitespace(s);
}

function toTokens(t: Text, o: BleuOptions): string[] {
  if (typeof t === 'string') {
    const line = o.lowercase ? t.toLowerCase() : t;
    return (o.tokenize ?? '13a') === '13a' ? tokenize13a(line) : splitWhitespace(line);
  }
  return o.lowercase ? t.map((w) => w.toLowerCase()) : [...t];
}

/** Counts of the n-grams of `tokens`, keyed by their tokens joined with \u0000. */
export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The reference length closest to `hypLen`; on a tie the shorter one (sacreBLEU 'closest'). */
export function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let best = refLens[0] ?? 0;
  for (const r of refLens) {
    const d = Math.abs(r - hypLen);
    const bd = Math.abs(best - hypLen);
    if (d < bd || (d === bd && r < best)) best = r;
  }
  return best;
}

/** Check the corpus shape shared by BLEU and chrF: same count, not empty, ≥ 1 reference each. */
export function checkCorpus(metric: string, hyps: readonly unknown[], refs: readonly (readonly unknown[])[]): void {
  if (hyps.length !== refs.length)
    throw new InputError(`${metric}: ${hyps.length} hypotheses but ${refs.length} reference lists`);
  if (hyps.length === 0) throw new InputError(`${metric}: empty corpus (0 hypotheses, 0 reference lists)`);
  const i = refs.findIndex((r) => r.length === 0);
  if (i >= 0) throw new InputError(`${metric}: hypothesis ${i} of ${hyps.length} has no reference`);
}

/**
 * Corpus BLEU. `references[i]` lists the references of `hypotheses[i]` (one or more).
 * Example: corpusBleu(['the cat sat'], [['the cat sat down', 'a cat sat']]).
 */
export function corpusBleu(
  hypotheses: readonly Text[],
  references: readonly (readonly Text[])[],
  o: BleuOptions = {},
): BleuScore {
  checkCorpus('BLEU', hypotheses, references);
  const maxOrder = o.maxOrder ?? 4;
  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((h, i) => {
    const hyp = toTokens(h, o);
    // The clip for an n-gram is its largest count in any one reference.
    const refs = references[i]!.map((r) => toTokens(r, o));
    sysLen += hyp.length;
    refLen += closestRefLength(
      hyp.length,
      refs.map((r) => r.length),
    );
    for (let n = 0; n < maxOrder; n++) {
      const clip = new Map<string, number>();
      for (const ref of refs) for (const [g, c] of ngramCounts(ref, n + 1)) clip.set(g, Math.max(clip.get(g) ?? 0, c));
      for (const [g, c] of ngramCounts(hyp, n + 1)) {
        totals[n]! += c;
        counts[n]! += Math.min(c, clip.get(g) ?? 0);
      }
    }
  });
  return bleuFromStats(counts, totals, sysLen, refLen, o);
}

/** BLEU of one hypothesis against its references (same rules; sacreBLEU advises effectiveOrder). */
export function sentenceBleu(hypothesis: Text, references: readonly Text[], o: BleuOptions = {}): BleuScore {
  return corpusBleu([hypothesis], [references], o);
}

/** BLEU from its sufficient statistics: smoothing, geometric mean, brevity penalty. */
export function bleuFromStats(
  counts: readonly number[],
  totals: readonly number[],
  sysLen: number,
  refLen: number,
  o: BleuOptions = {},
): BleuScore {
  const smooth = o.smooth ?? 'exp';
  const k = o.smoothValue ?? (smooth === 'floor' ? 0.1 : 1);
  const maxOrder = counts.length;
  // BP = 1 if c > r else exp(1 − r/c); an empty system output gets BP = 0.
  const bp = sysLen >= refLen ? 1 : sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = { precisions, counts: [...counts], totals: [...totals], bp, sysLen, refLen };
  if (!counts.some((c) => c > 0)) return { score: 0, ...result };
  let expFactor = 1;
  let order = maxOrder;
  for (let n = 0; n < maxOrder; n++) {
    // add-k (Chen & Cherry method 2) adds k to matches and totals of orders ≥ 2.
    const add = smooth === 'add-k' && n > 0 ? k : 0;
    const c = counts[n]! + add;
    const t = totals[n]! + add;
    if (t === 0) break; // no n-grams of this order: the remaining precisions stay 0
    if (o.effectiveOrder) order = n + 1;
    if (c > 0) precisions[n] = (100 * c) / t;
    else if (smooth === 'exp') {
      // exp (method 3, NIST): the i-th order with no match gets 1 / (2^i · total).
      expFactor *= 2;
      precisions[n] = 100 / (expFactor * t);
    } else if (smooth === 'floor') precisions[n] = (100 * k) / t; // floor (method 1): k / total
  }
  // A zero precision makes the geometric mean zero (sacreBLEU floors log 0 to −1e10).
  const used = precisions.slice(0, order);
  const score = used.some((p) => p === 0) ? 0 : bp * Math.exp(used.reduce((s, p) => s + Math.log(p), 0) / order);
  return { score, ...result };
}
