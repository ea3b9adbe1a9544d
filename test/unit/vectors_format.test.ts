// The pretrained-vectors reader (src/io/vectors_format.ts): GloVe and fastText .vec files, format
// detection, each malformed-line error with its file name and line number, a round trip with our
// word2vec text writer, non-ASCII words, CRLF, streamed sources split mid-line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readWordVectors,
  parseWordVectors,
  VectorsFormatError,
  type ReadVectorsOptions,
} from '../../src/io/vectors_format';
import { writeWord2vecText } from '../../src/io/word2vec_format';
import { WordVectors } from '../../src/eval/similarity';
import { InputError } from '../../src/util/errors';

const GLOVE = 'king 0.5 0.1 -0.25\nqueen 0.45 0.2 -0.2\nman 0.3 -0.4 0.1\nwoman 0.25 -0.3 0.15\n';
const VEC = `4 3\n${GLOVE.replace(/\n/g, ' \n')}`; // fastText writes a space before each newline

test('a GloVe file (no header) is read, and the result is queryable as WordVectors', async () => {
  const r = await readWordVectors(GLOVE);
  assert.equal(r.format, 'glove');
  assert.deepEqual(r.words, ['king', 'queen', 'man', 'woman']);
  assert.equal(r.dim, 3);
  assert.deepEqual(r.vectors, Float32Array.from([0.5, 0.1, -0.25, 0.45, 0.2, -0.2, 0.3, -0.4, 0.1, 0.25, -0.3, 0.15]));
  const wv = new WordVectors(r.words, r.vectors, r.dim);
  assert.equal(wv.mostSimilar('king', 1)[0]!.word, 'queen');
  assert.equal(wv.analogy('man', 'woman', 'king', 1)[0]!.word, 'queen');
});

test('a fastText .vec file (header N D, trailing spaces) is read and detected', async () => {
  const r = await readWordVectors(VEC);
  assert.equal(r.format, 'vec');
  assert.deepEqual(r, { ...(await readWordVectors(GLOVE)), format: 'vec' });
});

test('auto-detection, and forcing the format', () => {
  assert.equal(parseWordVectors(GLOVE).format, 'glove');
  assert.equal(parseWordVectors(VEC).format, 'vec');
  // a GloVe file of dimension 1 whose first word is a number looks like a header: force it
  const odd = '7 1\n8 0.25\n';
  assert.throws(() => parseWordVectors(odd), /line 1: the header promises 7 words but the file has 1/);
  const g = parseWordVectors(odd, { format: 'glove' });
  assert.deepEqual([g.words, g.dim, g.format], [['7', '8'], 1, 'glove']);
  assert.throws(() => parseWordVectors(GLOVE, { format: 'vec' }), /line 1: expected a header "N D"/);
});

test('the string, Blob and chunked sources agree, lines split across chunks', async () => {
  const text = `${Array.from({ length: 50 }, (_, i) => `w${i}é ${i} ${-i / 8} 1e-3`).join('\n')}\n`;
  const want = parseWordVectors(text);
  const chunked = {
    *chunks() {
      for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
    },
  };
  assert.deepEqual(await readWordVectors(chunked), want);
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual(await readWordVectors(new Blob([bytes])), want);
  let seen = 0;
  await readWordVectors(chunked, { onProgress: (n) => (seen = n) });
  assert.equal(seen, 50);
});

test('round trip with our word2vec text writer', async () => {
  const words = ['a', 'bé', "it's", '東京', 'naïve'];
  const vec = Float32Array.from({ length: words.length * 4 }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3));
  const r = await readWordVectors(writeWord2vecText(words, vec, 4));
  assert.deepEqual([r.words, r.dim, r.format], [words, 4, 'vec']);
  assert.deepEqual(r.vectors, vec);
});

test('non-ASCII words (Unicode spaces are part of a word), CRLF, BOM, tabs, no trailing newline', () => {
  const text = '\ufeffcafé 1 2\r\nnew\u00a0york 3 4\r\n東京\t5\t6\r\n\u3000 7 8';
  const r = parseWordVectors(text);
  assert.deepEqual(r.words, ['café', 'new\u00a0york', '東京', '\u3000']);
  assert.deepEqual(r.vectors, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  const vec = parseWordVectors('2 2\r\ncafé 1 2\r\nnew\u00a0york 3 4\r\n\r\n');
  assert.deepEqual([vec.words, vec.format], [['café', 'new\u00a0york'], 'vec']);
});

test('limit reads only the first words (the rest is not checked)', () => {
  const r = parseWordVectors('3 2\na 1 2\nb 3 4\nc 5\n', { limit: 2 });
  assert.deepEqual([r.words, r.vectors.length], [['a', 'b'], 4]);
  assert.throws(() => parseWordVectors(GLOVE, { limit: 0 }), /limit must be at least 1/);
});

/** Each malformed file is an error naming the file and the line (when there is one). */
const BAD: [string, string, RegExp, ReadVectorsOptions?][] = [
  ['empty file', '', /^g\.txt: the file is empty/],
  ['only blank lines', '\n \r\n\n', /^g\.txt: the file is empty/],
  ['header, no vectors', '0 3\n', /^g\.txt: line 1: the header says 0 words/],
  ['header dimension 0', '2 0\na\nb\n', /^g\.txt: line 1: the header says dimension 0/],
  ['GloVe dimension 0', 'a\nb\n', /^g\.txt: line 1: "a" has no values \(dimension 0\)/],
  ['too few values', 'a 1 2 3\nb 1 2\n', /^g\.txt: line 2: "b" has 2 values, expected 3 \(line 1 has 3\)/],
  ['too many values', 'a 1 2\nb 1 2\nc 1 2 3\n', /^g\.txt: line 3: "c" has 3 values, expected 2/],
  ['values vs header', '2 3\na 1 2 3\nb 1 2\n', /^g\.txt: line 3: "b" has 2 values, expected 3 \(the header says 3\)/],
  ['non-numeric value', 'a 1 2\nb 1 zz\n', /^g\.txt: line 2: value 2 of "b" is not a number: "zz"/],
  ['NaN', 'a 1 nan\n', /^g\.txt: line 1: value 2 of "a" is not a number: "nan"/],
  ['hex', 'a 0x10 1\n', /^g\.txt: line 1: value 1 of "a" is not a number: "0x10"/],
  ['past float32', 'a 1 1e39\n', /^g\.txt: line 1: value 2 of "a" is outside the float32 range/],
  ['header promises more', '3 2\na 1 2\nb 1 2\n', /^g\.txt: line 1: the header promises 3 words but the file has 2/],
  ['header promises fewer', '1 2\na 1 2\nb 1 2\n', /^g\.txt: line 3: more vector lines than the 1 words/],
  ['duplicate word', 'a 1 2\nb 1 2\na 3 4\n', /^g\.txt: line 3: the word "a" appears twice \(first on line 1\)/],
  ['duplicate after header', '3 1\na 1\nb 1\nb 2\n', /^g\.txt: line 4: the word "b" appears twice \(first on line 3\)/],
  ['blank line inside', 'a 1 2\n\nb 1 2\n', /^g\.txt: line 2: blank line/],
  ['bad header', 'x 1 2\n', /^g\.txt: line 1: expected a header "N D"/, { format: 'vec' }],
];
for (const [what, text, re, o] of BAD) {
  test(`error: ${what}`, async () => {
    const opts = { name: 'g.txt', ...o };
    const check = (e: Error): boolean => e instanceof VectorsFormatError && re.test(e.message);
    assert.throws(() => parseWordVectors(text, opts), check);
    await assert.rejects(readWordVectors(text, opts), check);
  });
}

test('errors are InputErrors; a File names itself; bad UTF-8 in a Blob is an error', async () => {
  assert.throws(() => parseWordVectors(''), InputError);
  assert.throws(() => parseWordVectors(''), /VectorsFormatError: the vectors file: the file is empty/);
  const file = new File(['a 1\nb x\n'], 'glove.6B.50d.txt');
  await assert.rejects(
    readWordVectors(file),
    /VectorsFormatError: glove\.6B\.50d\.txt: line 2: value 1 of "b" is not a number/,
  );
  await assert.rejects(
    readWordVectors(new File([Uint8Array.from([0x61, 0x20, 0x31, 0xff, 0x0a])], 'v.vec')),
    /v\.vec: not UTF-8/,
  );
});
