// Applying BPE merges by rank to one pre-token, shared by our byte-level BPE (bpe.ts) and GPT-2's
// (gpt2_bpe.ts), which differ only in how a merge's rank and result id are looked up.
//
// A linked list of symbols plus a min-heap of (rank, position) candidates: the lowest-ranked
// adjacent pair is merged first, leftmost among equals; stale heap entries are skipped when
// popped. O(n log n) in the pre-token's length, so long pre-tokens (unspaced CJK) stay fast.
import { Heap } from './heap';

export interface MergeTable {
  /** Rank of merging the adjacent symbols (a, b), or undefined when they never merge. */
  rank(a: number, b: number): number | undefined;
  /** The symbol that the merge of rank r produces. */
  result(r: number): number;
}

/** `sym` (symbol ids of one pre-token) with every applicable merge applied in rank order. */
export function applyMerges(sym: number[], t: MergeTable): number[] {
  const n = sym.length;
  const next = new Int32Array(n),
    prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // indices into sym/next/prev below are symbol positions in [0, n) (-1 = none, checked first)
  const heap = new Heap<[number, number]>((x, y) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]));
  const consider = (i: number): void => {
    if (i < 0) return;
    const j = next[i]!;
    if (j < 0) return;
    const r = t.rank(sym[i]!, sym[j]!);
    if (r !== undefined) heap.push([r, i]);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
    const [r, i] = e;
    const j = next[i]!,
      a = sym[i]!;
    if (a < 0 || j < 0 || t.rank(a, sym[j]!) !== r) continue; // stale
    sym[i] = t.result(r);
    sym[j] = -1;
    const k = next[j]!;
    next[i] = k;
    if (k >= 0) prev[k] = i;
    consider(prev[i]!);
    consider(i);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0 && i < n; i = next[i]!) out.push(sym[i]!);
  return out;
}
