// Word-vector evaluation: cosine nearest neighbours, analogies (3CosAdd: b − a + c over unit
// vectors, the inputs excluded, as gensim's most_similar does), accuracy over a questions file in
// the questions-words.txt format, and Spearman correlation over a `word1 word2 score` list.
import { InputError } from '../util/errors';

export class UnknownWordError extends Error {
  constructor(readonly word: string) {
    super(`unknown word "${word}" (not in the vocabulary)`);
    this.name = 'UnknownWordError';
  }
}

/** Word vectors: V words, a (V, D) row-major matrix, and unit-length copies for cosines. */
export class WordVectors {
  readonly index = new Map<string, number>();
  readonly unit: Float32Array;

  constructor(
    readonly words: readonly string[],
    readonly vectors: Float32Array,
    readonly dim: number,
  ) {
    if (vectors.length !== words.length * dim)
      throw new Error(`WordVectors: ${vectors.length} values for ${words.length} words × ${dim}`);
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
    this.unit = new Float32Array(vectors.length);
    for (let i = 0; i < words.length; i++) {
      let n = 0;
      for (let d = 0; d < dim; d++) n += vectors[i * dim + d]! ** 2;
      const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
      for (let d = 0; d < dim; d++) this.unit[i * dim + d] = vectors[i * dim + d]! * inv;
    }
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  id(word: string): number {
    const i = this.index.get(word);
    if (i === undefined) throw new UnknownWordError(word);
    return i;
  }

  vector(word: string): Float32Array {
    const i = this.id(word);
    return this.vectors.slice(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const i = this.id(a);
    const j = this.id(b);
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += this.unit[i * this.dim + d]! * this.unit[j * this.dim + d]!;
    return s;
  }

  /** The k words nearest to a query vector by cosine, skipping `exclude` ids. */
  nearest(
    q: ArrayLike<number>,
    k: number,
    exclude: ReadonlySet<number> = new Set(),
    limit = this.size,
  ): { word: string; score: number }[] {
    let qn = 0;
    for (let d = 0; d < this.dim; d++) qn += q[d]! ** 2;
    const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
    const best: { i: number; s: number }[] = [];
    for (let i = 0; i < Math.min(limit, this.size); i++) {
      if (exclude.has(i)) continue;
      let s = 0;
      for (let d = 0; d < this.dim; d++) s += this.unit[i * this.dim + d]! * q[d]!;
      s *= inv;
      if (best.length < k || s > best[best.length - 1]!.s) {
        let p = best.length < k ? best.length : best.length - 1;
        best[p] = { i, s };
        while (p > 0 && best[p - 1]!.s < s) {
          [best[p - 1], best[p]] = [best[p]!, best[p - 1]!];
          p--;
        }
      }
    }
    return best.map(({ i, s }) => ({ word: this.words[i]!, score: s }));
  }

  /** The k words most similar to `word` (itself excluded). */
  mostSimilar(word: string, k = 10): { word: string; score: number }[] {
    const i = this.id(word);
    return this.nearest(this.unit.subarray(i * this.dim, (i + 1) * this.dim), k, new Set([i]));
  }

  /** a is to b as c is to ?: nearest to unit(b) − unit(a) + unit(c), a, b, c excluded. */
  analogy(a: string, b: string, c: string, k = 1, limit = this.size): { word: string; score: number }[] {
    const [ia, ib, ic] = [this.id(a), this.id(b), this.id(c)];
    const q = new Float32Array(this.dim);
    for (let d = 0; d < this.dim; d++)
      q[d] = this.unit[ib * this.dim + d]! - this.unit[ia * this.dim + d]! + this.unit[ic * this.dim + d]!;
    return this.nearest(q, k, new Set([ia, ib, ic]), limit);
  }
}

export interface SectionScore {
  section: string;
  correct: number;
  total: number;
  accuracy: number;
}

export interface AnalogyReport {
  sections: SectionScore[];
  correct: number;
  /** Questions answered (all four words known). */
  total: number;
  /** Questions skipped because a word is not in the vocabulary. */
  skipped: number;
  accuracy: number;
}

/** One section of a questions file: its name and its questions (four lowercased words each). */
export interface QuestionSection {
  section: string;
  questions: [string, string, string, string][];
}

/**
 * Parse a questions-words.txt style file: `: section` lines start sections, other lines are
 * `a b c d` (lowercased). A bad line is an InputError naming its number (the CLI checks the file
 * with this before training; analogyAccuracy reads it with it after).
 */
export function parseQuestions(questions: string, fileName = 'questions'): QuestionSection[] {
  const sections: QuestionSection[] = [];
  let cur: QuestionSection | null = null;
  questions.split(/\r?\n/).forEach((raw, ln) => {
    const line = raw.trim();
    if (!line) return;
    if (line.startsWith(':')) {
      cur = { section: line.slice(1).trim(), questions: [] };
      sections.push(cur);
      return;
    }
    const w = line.toLowerCase().split(/\s+/);
    if (w.length !== 4)
      throw new InputError(
        `${fileName}:${ln + 1}: expected four words "a b c d" (or ": section"), got ${w.length}: ${JSON.stringify(line.slice(0, 60))}`,
      );
    if (!cur) {
      cur = { section: '(no section)', questions: [] };
      sections.push(cur);
    }
    cur.questions.push(w as [string, string, string, string]);
  });
  if (!sections.some((s) => s.questions.length))
    throw new InputError(`${fileName}: no questions (expected lines of four words "a b c d")`);
  return sections;
}

/**
 * Accuracy over a questions file (parseQuestions): a question counts when the top answer of
 * analogy(a, b, c) is d. Questions with a word outside the vocabulary are skipped and counted.
 */
export function analogyAccuracy(wv: WordVectors, questions: string): AnalogyReport {
  let skipped = 0;
  const sections: SectionScore[] = parseQuestions(questions).map((sec) => {
    const s: SectionScore = { section: sec.section, correct: 0, total: 0, accuracy: 0 };
    for (const w of sec.questions) {
      if (!w.every((x) => wv.has(x))) {
        skipped++;
        continue;
      }
      s.total++;
      if (wv.analogy(w[0], w[1], w[2], 1)[0]?.word === w[3]) s.correct++;
    }
    return s;
  });
  let correct = 0;
  let total = 0;
  for (const s of sections) {
    s.accuracy = s.total ? s.correct / s.total : 0;
    correct += s.correct;
    total += s.total;
  }
  return { sections, correct, total, skipped, accuracy: total ? correct / total : 0 };
}

/** Ranks with ties averaged (1-based). */
export function ranks(x: readonly number[]): number[] {
  const idx = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Array<number>(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson correlation of tie-averaged ranks). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2)
    throw new Error(`spearman: needs two lists of equal length ≥ 2, got ${a.length} and ${b.length}`);
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - ma) * (rb[i]! - mb);
    saa += (ra[i]! - ma) ** 2;
    sbb += (rb[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Spearman between human scores and cosines over a `word1 word2 score` list; pairs with unknown words are skipped. */
export function similarityCorrelation(
  wv: WordVectors,
  list: string,
): { spearman: number; pairs: number; skipped: number } {
  const human: number[] = [];
  const model: number[] = [];
  let skipped = 0;
  list.split(/\r?\n/).forEach((raw, ln) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const p = line.toLowerCase().split(/[\s,\t]+/);
    const score = Number(p[2]);
    if (p.length < 3 || !Number.isFinite(score))
      throw new Error(`similarity line ${ln + 1}: expected "word1 word2 score", got "${line}"`);
    if (!wv.has(p[0]!) || !wv.has(p[1]!)) {
      skipped++;
      return;
    }
    human.push(score);
    model.push(wv.similarity(p[0]!, p[1]!));
  });
  return { spearman: human.length >= 2 ? spearman(human, model) : 0, pairs: human.length, skipped };
}
