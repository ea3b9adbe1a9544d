// WordPiece training: builds a vocabulary of whole words and `##` continuation pieces from a list
// of pre-tokenized words (wordpiece.ts does the normalising and splitting).
//
// Procedure (our own; a choice of two merge criteria):
//   1. Count the distinct words. Words longer than maxCharsPerWord and the special tokens are
//      left out. Each word starts as its characters: the first as itself, the rest as '##c'.
//   2. The alphabet (every such symbol) enters the vocabulary after the five specials. If it
//      alone would pass vocabSize, only the most frequent symbols are kept (ties: code-point
//      order) and words using a dropped symbol are left out (they will encode to [UNK]).
//   3. Repeatedly merge the adjacent pair (a, b) with the best score into the symbol a + b
//      (b without its '##'), until the vocabulary has vocabSize entries or no pair occurs at
//      least minFrequency times (default 2):
//        score 'frequency' (default): count(ab), as byte-pair encoding (this is also what the
//          common open-source WordPiece trainers do). Frequent words become whole tokens first,
//          which suits the small vocabularies used here;
//        score 'likelihood': count(ab) / (count(a) · count(b)), the unigram log-likelihood gain
//          of the original WordPiece: pieces that mostly occur together merge first (rare words
//          get completed early, so a small vocabulary splits common words more).
//      Ties go to the higher count(ab), then to the smaller pair of symbol ids (deterministic).
//      Counts are kept incrementally: only words containing the merged pair are rewritten, and
//      only the pairs whose count or whose symbols' counts changed are re-scored (a max-heap with
//      stale entries skipped when popped).
// A merged string that already exists (two different splits of the same text) reuses its id
// and adds nothing to the vocabulary.
import { Heap } from './heap';

export interface WordPieceTrainOptions {
  /** Maximum vocabulary size, specials included. */
  vocabSize: number;
  /** Pairs occurring fewer times are never merged (default 2). */
  minFrequency?: number;
  /** Merge criterion (default 'frequency'). */
  score?: 'likelihood' | 'frequency';
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const BASE = 2 ** 24;
const key = (a: number, b: number): number => a * BASE + b;

export function trainWordPieceVocab(
  words: readonly string[],
  opts: WordPieceTrainOptions,
  maxCharsPerWord: number,
): string[] {
  const target = opts.vocabSize;
  const minFrequency = opts.minFrequency ?? 2;
  const likelihood = opts.score === 'likelihood';
  if (!Number.isInteger(target) || target < SPECIALS.length) {
    throw new RangeError(`WordPieceTokenizer.train: vocabSize ${target} must be an integer ≥ ${SPECIALS.length}`);
  }
  // 1. distinct words and their initial symbol strings
  const freqOf = new Map<string, number>();
  for (const w of words) {
    if (SPECIALS.includes(w) || [...w].length > maxCharsPerWord) continue;
    freqOf.set(w, (freqOf.get(w) ?? 0) + 1);
  }
  const split = (w: string): string[] => [...w].map((c, i) => (i === 0 ? c : '##' + c));
  // 2. the alphabet
  const symFreq = new Map<string, number>();
  for (const [w, f] of freqOf) for (const s of split(w)) symFreq.set(s, (symFreq.get(s) ?? 0) + f);
  let alphabet = [...symFreq.keys()];
  if (SPECIALS.length + alphabet.length > target) {
    alphabet.sort((x, y) => symFreq.get(y)! - symFreq.get(x)! || (x < y ? -1 : x > y ? 1 : 0));
    alphabet = alphabet.slice(0, target - SPECIALS.length);
  }
  alphabet.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const vocab = [...SPECIALS, ...alphabet];
  const idOf = new Map(vocab.map((t, i) => [t, i]));

  const wordSyms: number[][] = [];
  const wordFreq: number[] = [];
  for (const [w, f] of freqOf) {
    const syms = split(w).map((s) => idOf.get(s) ?? -1);
    if (syms.includes(-1)) continue;
    wordSyms.push(syms);
    wordFreq.push(f);
  }

  const unitCount: number[] = vocab.map(() => 0);
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const pairsOf = new Map<number, Set<number>>(); // symbol → pairs it takes part in
  const link = (u: number, k: number): void => {
    let s = pairsOf.get(u);
    if (s === undefined) pairsOf.set(u, (s = new Set()));
    s.add(k);
  };
  // w is a word index in [0, wordSyms.length), symbols are vocabulary ids (< unitCount.length)
  const account = (w: number, sign: number, changed: Set<number>): void => {
    const s = wordSyms[w]!,
      f = wordFreq[w]! * sign;
    for (let i = 0; i < s.length; i++) {
      const u = s[i]!;
      unitCount[u]! += f;
      if (i + 1 === s.length) break;
      const v = s[i + 1]!;
      const k = key(u, v);
      const c = (pairCount.get(k) ?? 0) + f;
      changed.add(k);
      if (c > 0) pairCount.set(k, c);
      else {
        pairCount.delete(k);
        pairsOf.get(u)?.delete(k);
        pairsOf.get(v)?.delete(k);
      }
      if (sign > 0) {
        link(u, k);
        link(v, k);
        let list = where.get(k);
        if (list === undefined) where.set(k, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    }
  };
  const scoreOf = (k: number, c: number): number =>
    likelihood ? c / (unitCount[Math.floor(k / BASE)]! * unitCount[k % BASE]!) : c;
  // entries [score, count, key]: best score, then higher count, then smaller key
  const heap = new Heap<[number, number, number]>(
    (x, y) => x[0] > y[0] || (x[0] === y[0] && (x[1] > y[1] || (x[1] === y[1] && x[2] < y[2]))),
  );
  const rescore = (keys: Iterable<number>): void => {
    for (const k of keys) {
      const c = pairCount.get(k);
      if (c !== undefined && c >= minFrequency) heap.push([scoreOf(k, c), c, k]);
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < wordSyms.length; w++) account(w, 1, initial);
  rescore(initial);

  const stamp = new Int32Array(wordSyms.length).fill(-1);
  let step = 0;
  while (vocab.length < target) {
    const e = heap.pop();
    if (e === undefined) break;
    const [score, c, k] = e;
    if (pairCount.get(k) !== c || scoreOf(k, c) !== score) continue; // stale
    const a = Math.floor(k / BASE),
      b = k % BASE;
    const text = vocab[a]! + vocab[b]!.slice(2); // a, b: ids of symbols in some word
    let m = idOf.get(text);
    if (m === undefined) {
      m = vocab.length;
      vocab.push(text);
      idOf.set(text, m);
      unitCount.push(0);
    }
    step++;
    const changed = new Set<number>();
    for (const w of where.get(k) ?? []) {
      if (stamp[w] === step) continue;
      stamp[w] = step;
      const s = wordSyms[w]!;
      let found = false;
      for (let i = 0; i + 1 < s.length; i++)
        if (s[i] === a && s[i + 1] === b) {
          found = true;
          break;
        }
      if (!found) continue;
      account(w, -1, changed);
      const t: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          t.push(m);
          i++;
        } else t.push(s[i]!);
      }
      wordSyms[w] = t;
      account(w, 1, changed);
    }
    where.delete(k);
    if (likelihood) for (const u of [a, b, m]) for (const q of pairsOf.get(u) ?? []) changed.add(q);
    rescore(changed);
  }
  return vocab;
}
