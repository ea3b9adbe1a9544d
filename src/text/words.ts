// Word-level text for word2vec: a streaming tokenizer (lowercase; letters and digits make words,
// an apostrophe inside a word stays, everything else separates), a vocabulary with min-count,
// word2vec.c's subsampling of frequent words and its unigram^0.75 table for negative samples.
//
// Streaming: `WordCounter.add(chunk)` takes text in pieces of any size (a word cut by a chunk
// edge is carried to the next piece), so a large file is counted without holding it whole;
// `forEachSentence` replays the same pieces as sentences of vocabulary ids.
import { InputError, ShapeError } from '../util/errors';
import { firstInvalidUtf8 } from '../util/utf8';

/** Words are runs of letters/digits, optionally joined by inner apostrophes ("don't"). */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
/** word2vec.c cuts sentences at this many words (MAX_SENTENCE_LENGTH). */
export const MAX_SENTENCE = 1000;

/** The words of one line, lowercased; punctuation and symbols split words and are dropped. */
export function tokenizeLine(line: string): string[] {
  return (line.toLowerCase().match(WORD) ?? []).map((w) => w.replace(/’/g, "'"));
}

/**
 * Split streamed text into whole lines: `push(chunk)` returns the complete lines so far and
 * keeps the unfinished tail; `end()` returns it. A line longer than `maxCarry` characters is
 * cut at its last space so the carry stays bounded.
 */
export class LineSplitter {
  private tail = '';
  constructor(private readonly maxCarry = 1 << 20) {}
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop()!;
    if (this.tail.length > this.maxCarry) {
      const cut = this.tail.lastIndexOf(' ');
      if (cut > 0) {
        lines.push(this.tail.slice(0, cut));
        this.tail = this.tail.slice(cut + 1);
      }
    }
    return lines;
  }
  end(): string[] {
    const t = this.tail;
    this.tail = '';
    return t.length ? [t] : [];
  }
}

/** A re-readable text source: every call to chunks() streams the same text from its start. */
export interface TextSource {
  chunks(): AsyncIterable<string> | Iterable<string>;
}

/** A source over one string, handed out in pieces of `chunkSize` characters. */
export function stringSource(text: string, chunkSize = 1 << 20): TextSource {
  return {
    *chunks() {
      for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize);
    },
  };
}

/**
 * A source over a Blob/File, read slice by slice (never whole) — the browser's large-file path.
 * Strict UTF-8: a byte that does not decode is an InputError naming `name` and its offset in the
 * file (never trained on as U+FFFD).
 */
export function blobSource(blob: Blob, chunkBytes = 4 << 20, name = 'the text file'): TextSource {
  return {
    async *chunks() {
      const dec = new TextDecoder('utf-8', { fatal: true });
      for (let i = 0; i < blob.size; i += chunkBytes) {
        const buf = new Uint8Array(await blob.slice(i, i + chunkBytes).arrayBuffer());
        let text: string;
        try {
          text = dec.decode(buf, { stream: i + chunkBytes < blob.size });
        } catch {
          throw new InputError(`${name}: not UTF-8 text: ${await badByte(blob, i, buf)}`);
        }
        yield text;
      }
    },
  };
}

/** Where a strict decode of `chunk` (at `offset` in `blob`, all before it valid) failed. */
async function badByte(blob: Blob, offset: number, chunk: Uint8Array): Promise<string> {
  // the sequence the previous chunk left open starts at most 3 bytes back, at its lead byte
  const back = new Uint8Array(await blob.slice(Math.max(0, offset - 3), offset).arrayBuffer());
  let start = back.length;
  while (start > 0 && (back[start - 1]! & 0xc0) === 0x80) start--;
  if (start > 0 && back[start - 1]! >= 0xc0) start--;
  else start = back.length;
  const bytes = new Uint8Array(back.length - start + chunk.length);
  bytes.set(back.subarray(start));
  bytes.set(chunk, back.length - start);
  const at = Math.max(0, firstInvalidUtf8(bytes));
  return `byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${offset - (back.length - start) + at} does not start a valid UTF-8 sequence`;
}

/** Counts words over streamed text. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  total = 0;
  chars = 0;
  /** Characters that are NUL or C0 controls other than tab/newline/CR: a sign of binary input. */
  controlChars = 0;
  private lines = new LineSplitter();

  add(chunk: string): void {
    this.chars += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) this.controlChars++;
    }
    for (const line of this.lines.push(chunk)) this.countLine(line);
  }

  end(): void {
    for (const line of this.lines.end()) this.countLine(line);
  }

  private countLine(line: string): void {
    for (const w of tokenizeLine(line)) {
      this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
      this.total++;
    }
  }
}

export class CorpusError extends InputError {
  constructor(message: string) {
    super(`word2vec corpus: ${message}`);
    this.name = 'CorpusError';
  }
}

/** Count a whole source (one streaming pass); throws CorpusError on empty or binary input. */
export async function countWords(src: TextSource): Promise<WordCounter> {
  const c = new WordCounter();
  for await (const chunk of src.chunks()) c.add(chunk);
  c.end();
  if (c.chars === 0) throw new CorpusError('the text is empty');
  if (c.controlChars > Math.max(8, 0.001 * c.chars)) {
    throw new CorpusError(
      `this looks like a binary file, not UTF-8 text (${c.controlChars} control or undecodable characters in ${c.chars})`,
    );
  }
  if (c.total === 0) throw new CorpusError('the text has no words');
  return c;
}

/** Words with count ≥ minCount, most frequent first (ties by word), as word2vec.c sorts them. */
export class Vocab {
  readonly index = new Map<string, number>();
  /** Sum of the kept words' counts: the words one epoch trains on. */
  readonly total: number;

  constructor(
    readonly words: string[],
    readonly counts: Int32Array | number[],
  ) {
    words.forEach((w, i) => this.index.set(w, i));
    let t = 0;
    for (let i = 0; i < counts.length; i++) t += counts[i]!;
    this.total = t;
  }

  get size(): number {
    return this.words.length;
  }

  id(word: string): number {
    return this.index.get(word) ?? -1;
  }

  static fromCounts(counts: Map<string, number>, minCount: number): Vocab {
    if (!(Number.isInteger(minCount) && minCount >= 1))
      throw new ShapeError('vocab', `min-count must be a positive integer, got ${minCount}`);
    const kept = [...counts].filter(([, c]) => c >= minCount);
    if (kept.length === 0) {
      const best = Math.max(0, ...counts.values());
      throw new CorpusError(
        `no word occurs at least min-count = ${minCount} times (the most frequent occurs ${best} times)`,
      );
    }
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Vocab(
      kept.map(([w]) => w),
      Int32Array.from(kept, ([, c]) => c),
    );
  }
}

/**
 * word2vec.c's probability of keeping one occurrence of a word with `count` among `total`:
 * (sqrt(f / s) + 1) · s / f with f = count / total and s = sample, capped at 1 (sample 0: keep all).
 */
export function keepProbability(count: number, total: number, sample: number): number {
  if (sample <= 0) return 1;
  const st = sample * total;
  return Math.min(1, (Math.sqrt(count / st) + 1) * (st / count));
}

/** Per-id keep probabilities for a vocabulary. */
export function keepTable(v: Vocab, sample: number): Float64Array {
  return Float64Array.from({ length: v.size }, (_, i) => keepProbability(v.counts[i]!, v.total, sample));
}

/**
 * The unigram^power table of negative samples: `size` slots, word i holding a share
 * count_i^power / Σ count^power of them (filled in order as word2vec.c's InitUnigramTable does).
 */
export function unigramTable(counts: ArrayLike<number>, size = 1 << 20, power = 0.75): Int32Array {
  const V = counts.length;
  const table = new Int32Array(size);
  let norm = 0;
  for (let i = 0; i < V; i++) norm += Math.pow(counts[i]!, power);
  let i = 0;
  let cum = Math.pow(counts[0]!, power) / norm;
  for (let a = 0; a < size; a++) {
    table[a] = i;
    if ((a + 1) / size > cum && i < V - 1) {
      i++;
      cum += Math.pow(counts[i]!, power) / norm;
    }
  }
  return table;
}

/** Stream a source as sentences of vocabulary ids (unknown words dropped; lines cut at MAX_SENTENCE). */
export async function* sentences(src: TextSource, v: Vocab): AsyncGenerator<Int32Array> {
  const split = new LineSplitter();
  const buf = new Int32Array(MAX_SENTENCE);
  function* emit(line: string): Generator<Int32Array> {
    let n = 0;
    for (const w of tokenizeLine(line)) {
      const id = v.id(w);
      if (id < 0) continue;
      buf[n++] = id;
      if (n === MAX_SENTENCE) {
        yield buf.slice(0, n);
        n = 0;
      }
    }
    if (n > 0) yield buf.slice(0, n);
  }
  for await (const chunk of src.chunks()) for (const line of split.push(chunk)) yield* emit(line);
  for (const line of split.end()) yield* emit(line);
}
