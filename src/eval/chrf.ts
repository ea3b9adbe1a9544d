// chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation") and chrF++
// (Popović 2017, word unigrams and bigrams added), with sacreBLEU 2.x's defaults and rules:
// - character n-grams of orders 1..6 over the sentence with all whitespace removed (characters
//   are Unicode code points, as in Python); chrF++ adds word n-grams of orders 1..2 over words
//   whose leading or trailing ASCII punctuation mark is split off;
// - per order: hypothesis n-grams, reference n-grams and clipped matches, summed over the corpus
//   (an order where the reference has no n-gram counts no hypothesis n-grams either);
// - precision and recall are each averaged over the orders that both sides reach ("effective
//   order", sacreBLEU's default), then combined as F_β = (1 + β²)·P·R / (β²·P + R) with β = 2,
//   so recall weighs twice as much as precision; reported on a 0–100 scale;
// - with several references a sentence keeps the statistics of the one with the best sentence F.
// Option `epsSmoothing` instead averages the per-order F scores with 1e-16 for empty orders, as
// the original chrF++.py, Moses and NLTK do (sacreBLEU `eps_smoothing=True`).
import { checkCorpus, splitWhitespace } from './bleu';

export interface ChrfOptions {
  /** Character n-gram order, default 6. */
  charOrder?: number;
  /** Word n-gram order: 0 (chrF, default) or 2 (chrF++). */
  wordOrder?: number;
  /** Default 2. */
  beta?: number;
  /** Keep whitespace inside character n-grams; default false (removed). */
  whitespace?: boolean;
  lowercase?: boolean;
  /** Average per-order F with 1e-16 for empty orders (chrF++.py style); default false. */
  epsSmoothing?: boolean;
}

/** Corpus statistics of one n-gram order (character orders first, then word orders). */
export interface ChrfOrderStats {
  hyp: number;
  ref: number;
  match: number;
}

export interface ChrfScore {
  /** chrF (or chrF++) on a 0–100 scale. */
  score: number;
  /** Averaged precision and recall in [0, 1] (effective-order averages; 0 when no order counts). */
  precision: number;
  recall: number;
  stats: ChrfOrderStats[];
  charOrder: number;
  wordOrder: number;
  beta: number;
}

const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Words for chrF++: one leading or trailing punctuation mark is split off (sacreBLEU's rule). */
export function chrfWords(sentence: string): string[] {
  const out: string[] = [];
  for (const w of splitWhitespace(sentence)) {
    const cs = Array.from(w);
    const first = cs[0]!;
    const last = cs[cs.length - 1]!;
    if (cs.length === 1) out.push(w);
    else if (PUNCTS.has(last)) out.push(cs.slice(0, -1).join(''), last);
    else if (PUNCTS.has(first)) out.push(first, cs.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function counts(units: readonly string[], n: number, sep: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const g = units.slice(i, i + n).join(sep);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** One map per order: character orders 1..charOrder, then word orders 1..wordOrder. */
function allNgrams(sentence: string, o: Required<ChrfOptions>): Map<string, number>[] {
  const s = o.lowercase ? sentence.toLowerCase() : sentence;
  const chars = Array.from(o.whitespace ? s : splitWhitespace(s).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) out.push(counts(chars, n, ''));
  if (o.wordOrder > 0) {
    const words = chrfWords(s);
    for (let n = 1; n <= o.wordOrder; n++) out.push(counts(words, n, ' '));
  }
  return out;
}

function matchStats(hyp: readonly Map<string, number>[], ref: readonly Map<string, number>[]): ChrfOrderStats[] {
  return hyp.map((h, i) => {
    const r = ref[i]!;
    let hypCount = 0;
    let match = 0;
    let refCount = 0;
    for (const c of r.values()) refCount += c;
    for (const [g, c] of h) {
      hypCount += c;
      match += Math.min(c, r.get(g) ?? 0);
    }
    return { hyp: refCount > 0 ? hypCount : 0, ref: refCount, match };
  });
}

/** F score, averaged precision and recall from per-order statistics (sentence or corpus). */
export function chrfFromStats(
  stats: readonly ChrfOrderStats[],
  o: ChrfOptions = {},
): { score: number; precision: number; recall: number } {
  const eps = 1e-16;
  const b2 = (o.beta ?? 2) ** 2;
  let fSum = 0;
  let pSum = 0;
  let rSum = 0;
  let order = 0;
  for (const { hyp, ref, match } of stats) {
    const p = hyp > 0 ? match / hyp : eps;
    const r = ref > 0 ? match / ref : eps;
    const denom = b2 * p + r;
    fSum += denom > 0 ? ((1 + b2) * p * r) / denom : eps;
    if (hyp > 0 && ref > 0) {
      pSum += p;
      rSum += r;
      order++;
    }
  }
  const precision = order > 0 ? pSum / order : 0;
  const recall = order > 0 ? rSum / order : 0;
  if (o.epsSmoothing) return { score: (100 * fSum) / stats.length, precision, recall };
  const score = precision + recall > 0 ? (100 * (1 + b2) * precision * recall) / (b2 * precision + recall) : 0;
  return { score, precision, recall };
}

/** Corpus chrF (chrF++ with `wordOrder: 2`). `references[i]` lists the references of `hypotheses[i]`. */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const o: Required<ChrfOptions> = {
    charOrder: 6,
    wordOrder: 0,
    beta: 2,
    whitespace: false,
    lowercase: false,
    epsSmoothing: false,
    ...options,
  };
  const metric = o.wordOrder > 0 ? 'chrF++' : 'chrF';
  checkCorpus(metric, hypotheses, references);
  const total: ChrfOrderStats[] = Array.from({ length: o.charOrder + o.wordOrder }, () => ({
    hyp: 0,
    ref: 0,
    match: 0,
  }));
  hypotheses.forEach((h, i) => {
    const hyp = allNgrams(h, o);
    let best: ChrfOrderStats[] = [];
    let bestF = -1;
    for (const r of references[i]!) {
      const s = matchStats(hyp, allNgrams(r, o));
      const f = chrfFromStats(s, o).score;
      if (f > bestF) [best, bestF] = [s, f];
    }
    total.forEach((t, k) => {
      const s = best[k]!;
      t.hyp += s.hyp;
      t.ref += s.ref;
      t.match += s.match;
    });
  });
  return { ...chrfFromStats(total, o), stats: total, charOrder: o.charOrder, wordOrder: o.wordOrder, beta: o.beta };
}

/** chrF of one hypothesis against its references. */
export function sentenceChrf(hypothesis: string, references: readonly string[], o: ChrfOptions = {}): ChrfScore {
  return corpusChrf([hypothesis], [references], o);
}
