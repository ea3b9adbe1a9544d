// Pretrained word vectors in text form: GloVe's files (no header, `word v1 … vD` per line) and
// fastText's `.vec` files, which are the word2vec text format (a header line `N D`, then N lines
// `word v1 … vD`). The result is what evaluation.WordVectors takes (words, a (V, D) row-major
// matrix, D), so neighbours and analogies run on them as on our own model's vectors.
//
// Lines are streamed from a TextSource (a string, or a Blob read slice by slice), never split as
// one string. Fields are separated by ASCII spaces or tabs only: a word may hold any other
// character (GloVe's vocabularies have words with U+00A0 and other Unicode spaces in them).
// Every malformed line is an error naming the file, the line and what is wrong; nothing is
// skipped or cut short except by an explicit `limit`.
import { InputError } from '../util/errors';
import { blobSource, stringSource, type TextSource } from '../text/words';

/** `glove`: no header; `vec`: fastText .vec / word2vec text (a header `N D`); `auto`: look at line 1. */
export type VectorsFormat = 'auto' | 'glove' | 'vec';

export interface ReadVectorsOptions {
  /** `auto` (default): a first line of exactly two non-negative integers is a `N D` header. */
  format?: VectorsFormat;
  /** The file's name in error messages. */
  name?: string;
  /** Read only the first `limit` words (the rest of the file is not read or checked). */
  limit?: number;
  /** Called after each chunk of the source with the number of words read so far. */
  onProgress?: (words: number) => void;
}

export interface PretrainedVectors {
  words: string[];
  /** (words.length, dim), row-major. */
  vectors: Float32Array;
  dim: number;
  /** The format read: `auto` resolved. */
  format: 'glove' | 'vec';
}

export class VectorsFormatError extends InputError {
  constructor(name: string, line: number | null, detail: string) {
    super(`${name}: ${line === null ? '' : `line ${line}: `}${detail}`);
    this.name = 'VectorsFormatError';
  }
}

/** A decimal number as C's strtod writes it (no hex, Infinity or NaN). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Field separators: ASCII space and tab (a CR at the end of a line is dropped first). */
const SEP = /[ \t]+/;
const HEADER = /^\d+[ \t]+\d+$/;

/** One line at a time: the header (if any), then one word and its values per line. */
class VectorsParser {
  readonly words: string[] = [];
  private readonly index = new Map<string, number>();
  private data = new Float32Array(0);
  private format: 'glove' | 'vec' | null;
  private dim = 0;
  private promised = -1;
  private headerLines = 0;
  /** Line number of a blank line seen since the last vector line (blank lines may only end the file). */
  private blankAt = 0;
  done = false;

  constructor(
    private readonly name: string,
    format: VectorsFormat,
    private readonly limit: number,
  ) {
    this.format = format === 'auto' ? null : format;
  }

  private fail(line: number | null, detail: string): never {
    throw new VectorsFormatError(this.name, line, detail);
  }

  line(raw: string, ln: number): void {
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (ln === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    s = s.replace(/^[ \t]+|[ \t]+$/g, '');
    if (s === '') {
      this.blankAt ||= ln;
      return;
    }
    if (this.blankAt) this.fail(this.blankAt, 'blank line (only the end of the file may have blank lines)');
    if (this.format === null) this.format = HEADER.test(s) ? 'vec' : 'glove';
    if (this.format === 'vec' && this.headerLines === 0) return this.header(s, ln);
    this.vector(s.split(SEP), ln);
  }

  private header(s: string, ln: number): void {
    this.headerLines = ln;
    if (!HEADER.test(s)) this.fail(ln, `expected a header "N D" (word count and dimension), got "${s.slice(0, 80)}"`);
    const [n, d] = s.split(SEP).map(Number) as [number, number];
    if (d === 0) this.fail(ln, 'the header says dimension 0');
    if (n === 0) this.fail(ln, 'the header says 0 words');
    if (!Number.isSafeInteger(n * d)) this.fail(ln, `the header's ${n} × ${d} values are too many`);
    this.promised = n;
    this.dim = d;
    this.grow(Math.min(n, this.limit, 1 << 16));
  }

  private grow(rows: number): void {
    const next = new Float32Array(rows * this.dim);
    next.set(this.data.subarray(0, Math.min(this.data.length, next.length)));
    this.data = next;
  }

  private vector(parts: string[], ln: number): void {
    const row = this.words.length;
    const w = parts[0]!;
    const got = parts.length - 1;
    if (row === 0 && this.format === 'glove') {
      if (got === 0) this.fail(ln, `"${w.slice(0, 40)}" has no values (dimension 0)`);
      this.dim = got;
      this.grow(Math.min(this.limit, 1 << 12));
    }
    if (row === this.promised)
      this.fail(ln, `more vector lines than the ${this.promised} words the header on line 1 promises`);
    if (got !== this.dim) {
      const why = this.format === 'vec' ? `the header says ${this.dim}` : `line ${ln - row} has ${this.dim}`;
      this.fail(ln, `"${w.slice(0, 40)}" has ${got} values, expected ${this.dim} (${why})`);
    }
    const first = this.index.get(w);
    if (first !== undefined)
      this.fail(ln, `the word "${w}" appears twice (first on line ${first + 1 + this.headerLines})`);
    if ((row + 1) * this.dim > this.data.length) this.grow(2 * (row + 1));
    const base = row * this.dim;
    for (let d = 0; d < this.dim; d++) {
      const t = parts[d + 1]!;
      const v = Math.fround(Number(t));
      if (!Number.isFinite(v) || !NUMBER.test(t)) {
        const why = NUMBER.test(t) ? 'is outside the float32 range' : 'is not a number';
        this.fail(ln, `value ${d + 1} of "${w}" ${why}: "${t.slice(0, 40)}"`);
      }
      this.data[base + d] = v;
    }
    this.index.set(w, row);
    this.words.push(w);
    if (this.words.length === this.limit) this.done = true;
  }

  end(): PretrainedVectors {
    if (this.format === null) this.fail(null, 'the file is empty (no vectors)');
    const n = this.words.length;
    if (this.promised >= 0 && n < this.promised && !this.done)
      this.fail(1, `the header promises ${this.promised} words but the file has ${n} vector lines`);
    if (n === 0) this.fail(null, 'the file has a header but no vectors');
    return { words: this.words, vectors: this.data.slice(0, n * this.dim), dim: this.dim, format: this.format };
  }
}

/** Feeds `chunks` to `p` line by line; a line spanning chunks is joined once (no repeated concatenation). */
async function feed(src: TextSource, p: VectorsParser, onProgress?: (words: number) => void): Promise<number> {
  let pending: string[] = [];
  let ln = 0;
  for await (const chunk of src.chunks()) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0 && !p.done; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      p.line(pending.length ? pending.join('') + piece : piece, ++ln);
      pending = [];
      start = nl + 1;
    }
    if (p.done) return ln;
    if (start < chunk.length) pending.push(chunk.slice(start));
    onProgress?.(p.words.length);
  }
  if (pending.length) p.line(pending.join(''), ++ln);
  return ln;
}

function parser(o: ReadVectorsOptions): VectorsParser {
  const limit = o.limit ?? Infinity;
  if (!(limit >= 1)) throw new InputError(`readWordVectors: limit must be at least 1, got ${limit}`);
  return new VectorsParser(o.name ?? 'the vectors file', o.format ?? 'auto', limit);
}

/**
 * Read a GloVe or fastText .vec / word2vec text file from a string, a Blob/File (read slice by
 * slice, strict UTF-8) or any TextSource. `new evaluation.WordVectors(r.words, r.vectors, r.dim)`
 * makes the result queryable.
 */
export async function readWordVectors(
  source: string | Blob | TextSource,
  o: ReadVectorsOptions = {},
): Promise<PretrainedVectors> {
  const file = typeof source !== 'string' && !('chunks' in source) && 'name' in source ? String(source.name) : '';
  const name = o.name ?? (file || 'the vectors file');
  const p = parser({ ...o, name });
  const src =
    typeof source === 'string'
      ? stringSource(source)
      : 'chunks' in source
        ? source
        : blobSource(source, undefined, name);
  await feed(src, p, o.onProgress);
  const r = p.end();
  o.onProgress?.(r.words.length);
  return r;
}

/** The same reader over a string, synchronously. */
export function parseWordVectors(text: string, o: ReadVectorsOptions = {}): PretrainedVectors {
  const p = parser(o);
  let ln = 0;
  for (let start = 0; start <= text.length && !p.done;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    if (nl > start || nl < text.length) p.line(text.slice(start, nl), ++ln);
    start = nl + 1;
  }
  return p.end();
}
