// The word2vec text format (word2vec.c's -binary 0 output, read by gensim's
// KeyedVectors.load_word2vec_format(path, binary=False)): a header line `V D`, then V lines
// `word v1 … vD` separated by single spaces. Words may not contain whitespace.

export class Word2vecFormatError extends Error {
  constructor(message: string) {
    super(`word2vec text format: ${message}`);
    this.name = 'Word2vecFormatError';
  }
}

/** Shortest round-tripping decimal of an f32 value. */
function f32str(x: number): string {
  for (let p = 6; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

export function writeWord2vecText(words: readonly string[], vectors: Float32Array, dim: number): string {
  if (vectors.length !== words.length * dim)
    throw new Word2vecFormatError(`${vectors.length} values for ${words.length} words × ${dim}`);
  const lines = [`${words.length} ${dim}`];
  words.forEach((w, i) => {
    if (!w || /\s/.test(w)) throw new Word2vecFormatError(`word ${i} "${w}" is empty or contains whitespace`);
    const row: string[] = [w];
    for (let d = 0; d < dim; d++) row.push(f32str(vectors[i * dim + d]!));
    lines.push(row.join(' '));
  });
  return `${lines.join('\n')}\n`;
}

export function readWord2vecText(text: string): { words: string[]; vectors: Float32Array; dim: number } {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (!lines.length) throw new Word2vecFormatError('the file is empty (expected a "V D" header)');
  const head = lines[0]!.trim().split(/\s+/);
  const V = Number(head[0]);
  const D = Number(head[1]);
  if (head.length !== 2 || !Number.isInteger(V) || !Number.isInteger(D) || V < 0 || D < 1) {
    throw new Word2vecFormatError(
      `line 1: expected a header "V D" (word count and dimension), got "${lines[0]!.slice(0, 80)}"`,
    );
  }
  if (lines.length - 1 !== V)
    throw new Word2vecFormatError(`the header promises ${V} words but the file has ${lines.length - 1} vector lines`);
  const words: string[] = [];
  const seen = new Set<string>();
  const vectors = new Float32Array(V * D);
  for (let i = 0; i < V; i++) {
    const parts = lines[i + 1]!.trim().split(/\s+/);
    if (parts.length !== D + 1)
      throw new Word2vecFormatError(`line ${i + 2}: expected a word and ${D} numbers, got ${parts.length - 1} values`);
    const w = parts[0]!;
    if (seen.has(w)) throw new Word2vecFormatError(`line ${i + 2}: the word "${w}" appears twice`);
    seen.add(w);
    words.push(w);
    for (let d = 0; d < D; d++) {
      const v = Number(parts[d + 1]);
      if (!Number.isFinite(v) || parts[d + 1] === '')
        throw new Word2vecFormatError(
          `line ${i + 2}: value ${d + 1} of "${w}" is not a finite number: "${parts[d + 1]}"`,
        );
      vectors[i * D + d] = v;
    }
  }
  return { words, vectors, dim: D };
}
