// Byte-level BPE tokenizer (the idea of GPT-2's tokenizer; our own code and pre-tokenizer).
//
// Base vocabulary: the 256 byte values, ids 0–255. Training learns merges on the user's corpus:
// merge i joins the adjacent pair (a, b) into the new token 256 + i. Because every string is a
// sequence of UTF-8 bytes and every byte has an id, encode never meets an unknown symbol, and
// decode (ids → bytes → UTF-8) gives back the exact input for any string: emoji, combining
// marks, CJK, text never seen in training, the empty string. (Lone UTF-16 surrogates are not
// Unicode text; TextEncoder turns them into U+FFFD, so they do not survive.)
//
// Pre-tokenization (merges never cross a pre-token boundary). The text is cut, left to right,
// into the longest match of the first alternative that fits:
//   1. ` ?[\p{L}\p{M}]+`       an optional space, then letters with their combining marks
//   2. ` ?\p{N}+`              an optional space, then digits / numerals
//   3. ` ?[^\s\p{L}\p{M}\p{N}]+` an optional space, then a run of punctuation and symbols
//   4. `\s+(?!\S)`             whitespace not followed by a word (so ' word' keeps its space)
//   5. `\s+`                   any other whitespace
// The pieces always concatenate back to the text (every character falls in one class).
//
// Training (a classic BPE): count the distinct pre-tokens; each is a list of symbol ids with a
// frequency. Keep the count of every adjacent pair (weighted by word frequency), the words each
// pair occurs in, and a max-heap of (count, pair) with lazy deletion. Repeatedly pop the most
// frequent pair (ties: the smaller (a, b), so training is deterministic), rewrite only the words
// that contain it, and update the counts of the pairs those words lose and gain. Stops at the
// requested vocabulary size, or earlier when the best pair occurs fewer than `minFrequency`
// times (then vocabSize is smaller than asked).
//
// Encoding applies merges by rank (lowest merge index first, leftmost first) with a linked list
// and a min-heap per pre-token, so long pre-tokens (e.g. unspaced CJK) stay O(n log n); each
// distinct pre-token is encoded once and cached.
//
// JSON format (kind 'bpe'):
//   { "kind": "bpe", "version": 1, "pretokenizer": "sg-bytes-v1",
//     "merges": [[a, b], …] }   // merge i: ids a, b (< 256 + i) → id 256 + i;  vocabSize = 256 + merges.length
import { checkIds, type Tokenizer } from './tokenizer';
import { Heap } from './heap';
import { applyMerges } from './bpe_merge';

export interface BpeTokenizerJSON {
  kind: 'bpe';
  version: 1;
  pretokenizer: 'sg-bytes-v1';
  merges: [number, number][];
}

export interface BpeTrainOptions {
  /** Target vocabulary size, ≥ 256 (256 bytes + merges). */
  vocabSize: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
}

const PRETOKEN = / ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Splits text into BPE pre-tokens (see the header); the pieces concatenate back to `text`. */
export function bpePretokenize(text: string): string[] {
  return text.match(PRETOKEN) ?? [];
}

const PAIR_BASE = 2 ** 21; // ids stay below 2^21, so a·2^21 + b is an exact pair key
const pairKey = (a: number, b: number): number => a * PAIR_BASE + b;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocabSize: number;
  /** Bytes of every token, id → bytes. */
  private readonly tokenBytes: Uint8Array[] = [];
  /** Pair key → merge rank. */
  private readonly ranks = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(readonly merges: readonly (readonly [number, number])[]) {
    for (let b = 0; b < 256; b++) this.tokenBytes.push(Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= id || b >= id) {
        throw new Error(`BpeTokenizer: merge ${i} [${a}, ${b}] must join ids below ${id}`);
      }
      if (this.ranks.has(pairKey(a, b))) throw new Error(`BpeTokenizer: merge ${i} [${a}, ${b}] is a duplicate`);
      this.ranks.set(pairKey(a, b), i);
      const x = this.tokenBytes[a]!,
        y = this.tokenBytes[b]!; // a, b < id = tokenBytes.length (checked above)
      const t = new Uint8Array(x.length + y.length);
      t.set(x);
      t.set(y, x.length);
      this.tokenBytes.push(t);
    });
    this.vocabSize = 256 + merges.length;
  }

  /** Learns merges on `text` (see the header). Deterministic: same text and options, same merges. */
  static train(text: string, opts: BpeTrainOptions): BpeTokenizer {
    return new BpeTokenizer(trainMerges(text, opts));
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of bpePretokenize(text)) {
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        ids = this.encodeWord(utf8.encode(piece));
        if (this.cache.size < 1 << 18) this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  /** Applies merges by rank to one pre-token's bytes (bpe_merge.ts). */
  private encodeWord(bytes: Uint8Array): number[] {
    return applyMerges(Array.from(bytes), { rank: (a, b) => this.ranks.get(pairKey(a, b)), result: (r) => 256 + r });
  }

  /** The bytes of a sequence of ids. */
  decodeBytes(ids: readonly number[]): Uint8Array {
    checkIds('BpeTokenizer', ids, this.vocabSize); // so every tokenBytes[id] below exists
    let len = 0;
    for (const id of ids) len += this.tokenBytes[id]!.length;
    const out = new Uint8Array(len);
    let o = 0;
    for (const id of ids) {
      const t = this.tokenBytes[id]!;
      out.set(t, o);
      o += t.length;
    }
    return out;
  }

  /** ids → bytes → UTF-8. Exact for ids from encode; a cut-off multi-byte character decodes to U+FFFD. */
  decode(ids: readonly number[]): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /** The token's text, or `<0xE2><0x82>` style hex where its bytes are not whole UTF-8 characters. */
  idToToken(id: number): string {
    const bytes = this.decodeBytes([id]);
    try {
      return utf8Strict.decode(bytes);
    } catch {
      return Array.from(bytes, (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`).join('');
    }
  }

  toJSON(): BpeTokenizerJSON {
    return { kind: 'bpe', version: 1, pretokenizer: 'sg-bytes-v1', merges: this.merges.map(([a, b]) => [a, b]) };
  }

  static fromJSON(obj: unknown): BpeTokenizer {
    const o = obj as Partial<BpeTokenizerJSON>;
    if (o.kind !== 'bpe' || !Array.isArray(o.merges))
      throw new Error('BpeTokenizer.fromJSON: expected { kind: "bpe", merges: [a, b][] }');
    if (o.pretokenizer !== undefined && o.pretokenizer !== 'sg-bytes-v1') {
      throw new Error(
        `BpeTokenizer.fromJSON: unknown pretokenizer ${JSON.stringify(o.pretokenizer)} (this version knows 'sg-bytes-v1')`,
      );
    }
    o.merges.forEach((m, i) => {
      if (!Array.isArray(m) || m.length !== 2)
        throw new Error(`BpeTokenizer.fromJSON: merge ${i} is not a pair [a, b]`);
    });
    return new BpeTokenizer(o.merges);
  }
}

/** The BPE training loop (see the header). Returns the merges in rank order. */
export function trainMerges(text: string, opts: BpeTrainOptions): [number, number][] {
  const target = opts.vocabSize;
  const minFrequency = opts.minFrequency ?? 2;
  if (!Number.isInteger(target) || target < 256 || target >= PAIR_BASE) {
    throw new RangeError(`BpeTokenizer.train: vocabSize ${target} must be an integer in [256, ${PAIR_BASE})`);
  }
  // Distinct pre-tokens with their frequencies.
  const freqOf = new Map<string, number>();
  for (const piece of bpePretokenize(text)) freqOf.set(piece, (freqOf.get(piece) ?? 0) + 1);
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, f] of freqOf) {
    words.push(Array.from(utf8.encode(piece)));
    freqs.push(f);
  }

  const counts = new Map<number, number>();
  const where = new Map<number, number[]>(); // pair → words it occurred in (may hold stale or repeated entries)
  // w below is always a word index in [0, words.length), i + 1 < s.length
  const addPairs = (w: number, sign: number, changed: Set<number>): void => {
    const s = words[w]!,
      f = freqs[w]! * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const k = pairKey(s[i]!, s[i + 1]!);
      counts.set(k, (counts.get(k) ?? 0) + f);
      changed.add(k);
      if (sign > 0) {
        let list = where.get(k);
        if (list === undefined) where.set(k, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    }
  };
  // Max count first; ties broken by the smaller pair key.
  const heap = new Heap<[number, number]>((x, y) => x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]));
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  for (const k of initial) heap.push([counts.get(k)!, k]);

  const merges: [number, number][] = [];
  const stamp = new Int32Array(words.length).fill(-1); // last merge that rewrote each word
  while (256 + merges.length < target) {
    const e = heap.pop();
    if (e === undefined) break;
    const [c, k] = e;
    if (counts.get(k) !== c) continue; // stale heap entry
    if (c < minFrequency || c <= 0) break;
    const a = Math.floor(k / PAIR_BASE),
      b = k % PAIR_BASE;
    const id = 256 + merges.length;
    merges.push([a, b]);
    const changed = new Set<number>();
    for (const w of where.get(k) ?? []) {
      if (stamp[w] === id) continue;
      stamp[w] = id;
      const s = words[w]!;
      let found = false;
      for (let i = 0; i + 1 < s.length; i++)
        if (s[i] === a && s[i + 1] === b) {
          found = true;
          break;
        }
      if (!found) continue;
      addPairs(w, -1, changed);
      const t: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          t.push(id);
          i++;
        } else t.push(s[i]!);
      }
      words[w] = t;
      addPairs(w, 1, changed);
    }
    where.delete(k);
    counts.delete(k);
    changed.delete(k);
    for (const q of changed) {
      const n = counts.get(q)!;
      if (n <= 0) counts.delete(q);
      else heap.push([n, q]);
    }
  }
  return merges;
}
