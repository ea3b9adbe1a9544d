// ROUGE (Lin 2004, "ROUGE: A Package for Automatic Evaluation of Summaries") on tokens:
// - ROUGE-N: n-gram overlap, each shared n-gram counted min(hypothesis count, reference count)
//   times; recall = overlap / reference n-grams, precision = overlap / hypothesis n-grams;
// - ROUGE-L: from the longest common subsequence (in order, gaps allowed) of the two token
//   lists: recall = LCS / reference length, precision = LCS / hypothesis length;
// - F = (1 + β²)·P·R / (R + β²·P); Lin's paper leaves β large (recall), we default to β = 1
//   (F1), as Google's rouge-score package reports `fmeasure`.
// A corpus score is the mean of the sentence scores (what rouge-score's aggregator reports as
// its mid value, without the bootstrap). With several references a sentence keeps, per metric,
// the reference with the best F (rouge-score's score_multi). Strings are split on whitespace, or
// with tokenize 'rouge-score': lowercase, every run of characters other than a–z and 0–9 becomes
// a space (rouge-score's default tokenizer, without its optional Porter stemmer).
import { InputError } from '../util/errors';
import { checkCorpus, ngramCounts, splitWhitespace, type Text } from './bleu';

export interface RougeOptions {
  /** 'whitespace' (default) or 'rouge-score'. Ignored for token arrays. */
  tokenize?: 'whitespace' | 'rouge-score';
  /** Weight of recall against precision in F; default 1. */
  beta?: number;
}

export interface PRF {
  precision: number;
  recall: number;
  f: number;
}

export interface RougeScore {
  rouge1: PRF;
  rouge2: PRF;
  rougeL: PRF;
}

/** rouge-score's default tokenizer: lowercase, keep runs of [a-z0-9] as tokens. */
export function tokenizeRouge(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

function toTokens(t: Text, o: RougeOptions): readonly string[] {
  if (typeof t !== 'string') return t;
  return o.tokenize === 'rouge-score' ? tokenizeRouge(t) : splitWhitespace(t);
}

/** P, R and F from a match count and the two lengths (0 where a length is 0). */
function prf(match: number, hypLen: number, refLen: number, beta: number): PRF {
  const precision = hypLen > 0 ? match / hypLen : 0;
  const recall = refLen > 0 ? match / refLen : 0;
  const b2 = beta * beta;
  const f = precision + recall > 0 ? ((1 + b2) * precision * recall) / (recall + b2 * precision) : 0;
  return { precision, recall, f };
}

/** ROUGE-N of one token pair. */
export function rougeN(hyp: readonly string[], ref: readonly string[], n: number, beta = 1): PRF {
  if (!(n >= 1 && Number.isInteger(n))) throw new InputError(`ROUGE-N: n must be an integer ≥ 1, got ${n}`);
  const h = ngramCounts(hyp, n);
  const r = ngramCounts(ref, n);
  let match = 0;
  for (const [g, c] of h) match += Math.min(c, r.get(g) ?? 0);
  return prf(match, Math.max(0, hyp.length - n + 1), Math.max(0, ref.length - n + 1), beta);
}

/** Length of the longest common subsequence, by the O(|a|·|b|) table kept to two rows. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L of one token pair. */
export function rougeL(hyp: readonly string[], ref: readonly string[], beta = 1): PRF {
  return prf(lcsLength(hyp, ref), hyp.length, ref.length, beta);
}

/** ROUGE-1, ROUGE-2 and ROUGE-L of one hypothesis against one or more references. */
export function sentenceRouge(hypothesis: Text, references: readonly Text[], o: RougeOptions = {}): RougeScore {
  if (references.length === 0) throw new InputError('ROUGE: hypothesis has no reference (0 references)');
  const beta = o.beta ?? 1;
  const hyp = toTokens(hypothesis, o);
  const refs = references.map((r) => toTokens(r, o));
  const best = (score: (ref: readonly string[]) => PRF): PRF => refs.map(score).reduce((a, b) => (b.f > a.f ? b : a));
  return {
    rouge1: best((r) => rougeN(hyp, r, 1, beta)),
    rouge2: best((r) => rougeN(hyp, r, 2, beta)),
    rougeL: best((r) => rougeL(hyp, r, beta)),
  };
}

/** Mean ROUGE over a corpus. `references[i]` lists the references of `hypotheses[i]`. */
export function corpusRouge(
  hypotheses: readonly Text[],
  references: readonly (readonly Text[])[],
  o: RougeOptions = {},
): RougeScore {
  checkCorpus('ROUGE', hypotheses, references);
  const sum: RougeScore = {
    rouge1: { precision: 0, recall: 0, f: 0 },
    rouge2: { precision: 0, recall: 0, f: 0 },
    rougeL: { precision: 0, recall: 0, f: 0 },
  };
  hypotheses.forEach((h, i) => {
    const s = sentenceRouge(h, references[i]!, o);
    for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
      sum[k].precision += s[k].precision / hypotheses.length;
      sum[k].recall += s[k].recall / hypotheses.length;
      sum[k].f += s[k].f / hypotheses.length;
    }
  });
  return sum;
}
