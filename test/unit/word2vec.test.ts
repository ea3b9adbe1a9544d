// word2vec pieces on the CPU: tokenizer, vocabulary, subsampling, unigram table, batches,
// the float64 step against finite differences and its chains against one-at-a-time steps,
// evaluation, and the text format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tokenizeLine,
  WordCounter,
  Vocab,
  keepProbability,
  unigramTable,
  countWords,
  stringSource,
  CorpusError,
} from '../../src/text/words';
import { BatchBuilder } from '../../src/models/word2vec/data';
import { builtinCorpus, builtinQuestions, builtinSimilarity, FAMILIES } from '../../src/text/w2v_corpus';
import { sgnsGrads, sgnsStep } from '../../src/reference/word2vec';
import { chainStarts } from '../../src/ops/word2vec';
import {
  WordVectors,
  analogyAccuracy,
  spearman,
  similarityCorrelation,
  UnknownWordError,
} from '../../src/eval/similarity';
import { readWord2vecText, writeWord2vecText, Word2vecFormatError } from '../../src/io/word2vec_format';
import { randomArray } from '../../src/util/prng';

test('tokenizer lowercases and splits punctuation', () => {
  assert.deepEqual(tokenizeLine("The King, the Queen; (and) don't-stop 42!"), [
    'the',
    'king',
    'the',
    'queen',
    'and',
    "don't",
    'stop',
    '42',
  ]);
  assert.deepEqual(tokenizeLine('Élan vital—café'), ['élan', 'vital', 'café']);
});

test('counting streams across chunk edges; vocabulary keeps min-count, sorted by count', () => {
  const c = new WordCounter();
  for (const ch of ['a b', 'b c ', 'c c\nd', ' a']) c.add(ch);
  c.end();
  // "a b" + "b c" joins to "a bb c": the word cut by the edge is rejoined
  assert.deepEqual(Object.fromEntries(c.counts), { a: 2, bb: 1, c: 3, d: 1 });
  const v = Vocab.fromCounts(c.counts, 2);
  assert.deepEqual(v.words, ['c', 'a']);
  assert.equal(v.total, 5);
  assert.throws(
    () => Vocab.fromCounts(c.counts, 4),
    /no word occurs at least min-count = 4 times \(the most frequent occurs 3 times\)/,
  );
});

test('empty and binary corpora get clear errors', async () => {
  await assert.rejects(countWords(stringSource('')), CorpusError);
  await assert.rejects(countWords(stringSource('... !!! ---')), /no words/);
  await assert.rejects(countWords(stringSource('\u0000\u0001\u0002'.repeat(100) + 'abc')), /binary/);
});

test("subsampling keeps word2vec.c's fraction", () => {
  // f = count/total; keep = (sqrt(f/s) + 1)·s/f
  const s = 1e-3;
  assert.equal(keepProbability(10, 100000, s), 1);
  const f = 0.05;
  assert.ok(Math.abs(keepProbability(5000, 100000, s) - (Math.sqrt(f / s) + 1) * (s / f)) < 1e-12);
  assert.equal(keepProbability(5000, 100000, 0), 1);
});

test('unigram table follows count^0.75', () => {
  const counts = [1000, 300, 50, 7, 1];
  const size = 1 << 20;
  const t = unigramTable(counts, size);
  const hits = new Array(counts.length).fill(0);
  for (const i of t) hits[i]++;
  const z = counts.reduce((a, c) => a + c ** 0.75, 0);
  counts.forEach((c, i) =>
    assert.ok(Math.abs(hits[i] / size - c ** 0.75 / z) < 2e-5, `word ${i}: ${hits[i] / size} vs ${c ** 0.75 / z}`),
  );
});

test('batches are determined by the seed; dynamic window and negatives in range', async () => {
  const src = builtinCorpus({ tokens: 3000, seed: 2 });
  const v = Vocab.fromCounts((await countWords(src)).counts, 2);
  const make = async (seed: number): Promise<Int32Array[]> => {
    const bb = new BatchBuilder(v, {
      mode: 'cbow',
      window: 3,
      negative: 4,
      sample: 1e-3,
      alpha: 0.05,
      epochs: 1,
      seed,
      batch: 100,
    });
    const out: Int32Array[] = [];
    await bb.epoch(src, 0, async (b) => {
      out.push(b.inIds.slice(), b.outIds.slice());
      for (let e = 0; e < b.examples; e++) assert.ok(b.lr[e]! > 0 && b.lr[e]! <= Math.fround(0.05), `lr ${b.lr[e]}`);
    });
    return out;
  };
  const a = await make(5);
  assert.deepEqual(a, await make(5));
  assert.notDeepEqual(a, await make(6));
  for (const x of a) for (const id of x) assert.ok(id >= -1 && id < v.size);
});

test('the float64 step is the gradient of the SGNS loss (central differences)', () => {
  const V = 6;
  const D = 5;
  const syn0 = Float64Array.from(randomArray(V * D, 1, -1, 1));
  const syn1 = Float64Array.from(randomArray(V * D, 2, -1, 1));
  const b = { examples: 2, slots: 3, outs: 3, inIds: [0, 2, -1, 3, 3, 1], outIds: [4, 5, -1, 1, 0, 2], lr: [1, 1] };
  const L = (s0: Float64Array, s1: Float64Array): number => sgnsGrads(s0, s1, D, b).loss.reduce((x, y) => x + y, 0);
  const { dIn, dOut } = sgnsGrads(syn0, syn1, D, b);
  // the step is −lr·∂L for syn1; for syn0, word2vec.c gives every input the whole error of the
  // mean h (not divided by the count), so d_in rows are count × the gradient: divide them back
  const cnt = [2, 3];
  const sum0 = new Float64Array(V * D);
  const sum1 = new Float64Array(V * D);
  b.inIds.forEach(
    (id, r) =>
      id >= 0 && dIn.subarray(r * D, r * D + D).forEach((x, d) => (sum0[id * D + d]! += x / cnt[Math.floor(r / 3)]!)),
  );
  b.outIds.forEach((id, r) => id >= 0 && dOut.subarray(r * D, r * D + D).forEach((x, d) => (sum1[id * D + d]! += x)));
  const h = 1e-6;
  for (const [tab, sum, name] of [
    [syn0, sum0, 'syn0'],
    [syn1, sum1, 'syn1'],
  ] as const) {
    for (let i = 0; i < V * D; i++) {
      const old = tab[i]!;
      tab[i] = old + h;
      const up = L(syn0, syn1);
      tab[i] = old - h;
      const dn = L(syn0, syn1);
      tab[i] = old;
      const g = (up - dn) / (2 * h);
      assert.ok(Math.abs(-g - sum[i]!) < 1e-6, `${name}[${i}]: step ${sum[i]} vs −dL ${-g}`);
    }
  }
});

test("a chain (consecutive examples with one positive) is word2vec.c's one-at-a-time order", () => {
  // skip-gram pairs of center 0 (inputs 1, 2, 3), then one of center 10: no other id repeats, so
  // the only thing order changes is the positive's row, which the chain reads as updated
  const V = 14;
  const D = 6;
  const b = {
    examples: 4,
    slots: 1,
    outs: 3,
    inIds: [1, 2, 3, 11],
    outIds: [0, 4, 5, 0, 6, 7, 0, 8, 9, 10, 12, 13],
    lr: [0.5, 0.4, 0.3, 0.5],
  };
  const init = (seed: number): Float64Array => Float64Array.from(randomArray(V * D, seed, -1, 1));
  const [a0, a1, s0, s1] = [init(1), init(2), init(1), init(2)];
  sgnsStep(a0, a1, D, b);
  for (let e = 0; e < b.examples; e++) {
    const one = {
      examples: 1,
      slots: 1,
      outs: 3,
      inIds: b.inIds.slice(e, e + 1),
      outIds: b.outIds.slice(3 * e, 3 * e + 3),
      lr: b.lr.slice(e, e + 1),
    };
    sgnsStep(s0, s1, D, one);
  }
  for (const [x, y, name] of [
    [a0, s0, 'syn0'],
    [a1, s1, 'syn1'],
  ] as const) {
    x.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) < 1e-12, `${name}[${i}]: chain ${v} vs one at a time ${y[i]}`));
  }
  // another example in between ends the chain: pair (1, 0) no longer updates what (2, 0) reads
  const [c0, c1] = [init(1), init(2)];
  sgnsStep(c0, c1, D, { ...b, outIds: [0, 4, 5, 10, 12, 13, 0, 6, 7, 0, 8, 9], inIds: [1, 11, 2, 3] });
  assert.ok(
    c1.some((v, i) => Math.abs(v - s1[i]!) > 1e-6),
    'a broken chain should not match the one-at-a-time order',
  );
});

test('chain starts: runs of one valid positive, longest first; −1 and out-of-vocabulary ids never chain', () => {
  // O = 2: positives 3 3 | 5 | −1 | −1 | 5 5 5 | 9 | 9 (V = 6, so 9 is invalid)
  const starts = new Int32Array(10);
  const n = chainStarts([3, 0, 3, 1, 5, 2, -1, 0, -1, 0, 5, 1, 5, 1, 5, 0, 9, 0, 9, 0], 10, 2, 6, starts);
  assert.equal(n, 7);
  assert.deepEqual(Array.from(starts.subarray(0, n)), [5, 0, 2, 3, 4, 8, 9]);
});

test('nearest neighbours, analogies, accuracy with skipped questions, Spearman', () => {
  // 2-D toy: man (1,0) woman (1,1) king (3,0) queen (3,1)
  const wv = new WordVectors(
    ['man', 'woman', 'king', 'queen', 'x'],
    Float32Array.from([1, 0, 1, 1, 3, 0.1, 3, 1.1, -1, -1]),
    2,
  );
  assert.equal(wv.analogy('man', 'woman', 'king')[0]!.word, 'queen');
  assert.equal(wv.mostSimilar('king', 1)[0]!.word, 'man');
  assert.throws(() => wv.mostSimilar('prince'), UnknownWordError);
  const r = analogyAccuracy(
    wv,
    ': family\nman woman king queen\nman woman prince princess\n: other\nwoman man queen king\n',
  );
  assert.equal(r.total, 2);
  assert.equal(r.skipped, 1);
  assert.deepEqual(
    r.sections.map((s) => [s.section, s.total]),
    [
      ['family', 1],
      ['other', 1],
    ],
  );
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [10, 20, 30, 40]) - 1) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12);
  assert.equal(similarityCorrelation(wv, 'man woman 5\nking queen 5\nman x 1\nfoo bar 3\n').skipped, 1);
});

test('built-in corpus: deterministic, sized, questions and similarity list in their formats', () => {
  const a = [...(builtinCorpus({ tokens: 2000, seed: 4 }).chunks() as Iterable<string>)].join('');
  const b = [...(builtinCorpus({ tokens: 2000, seed: 4 }).chunks() as Iterable<string>)].join('');
  assert.equal(a, b);
  const n = a.split(/\s+/).filter(Boolean).length;
  assert.ok(n >= 2000 && n < 2100, `${n} tokens`);
  const q = builtinQuestions().trim().split('\n');
  assert.equal(q.filter((l) => l.startsWith(':')).length, FAMILIES.length);
  assert.ok(q.filter((l) => !l.startsWith(':')).every((l) => l.split(' ').length === 4));
  assert.ok(
    builtinSimilarity(50)
      .trim()
      .split('\n')
      .every((l) => /^\S+ \S+ \d+$/.test(l)),
  );
});

test('word2vec text format round trip and clear errors', () => {
  const vec = Float32Array.from(randomArray(3 * 4, 3, -2, 2));
  const text = writeWord2vecText(['a', 'bé', "it's"], vec, 4);
  assert.match(text, /^3 4\na /);
  const r = readWord2vecText(text);
  assert.deepEqual(r.words, ['a', 'bé', "it's"]);
  assert.deepEqual(r.vectors, vec);
  assert.throws(() => readWord2vecText(''), Word2vecFormatError);
  assert.throws(() => readWord2vecText('2 3\na 1 2 3\n'), /promises 2 words but the file has 1/);
  assert.throws(() => readWord2vecText('1 3\na 1 2\n'), /line 2: expected a word and 3 numbers, got 2/);
  assert.throws(() => readWord2vecText('1 2\na 1 zz\n'), /not a finite number/);
  assert.throws(() => readWord2vecText('hello\n'), /header/);
});
