// Text metrics on hand-worked examples: every expected number is derived in the comment above
// it. scripts/compare/metrics_check.py checks BLEU, chrF and the 13a tokenizer against sacreBLEU
// on seeded random corpora; these tests pin the definitions without Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluation as E } from '../../src/index';

const close = (got: number, want: number, tol = 1e-9): void =>
  assert.ok(Math.abs(got - want) <= tol, `got ${got}, want ${want} (tol ${tol})`);

const REF = 'The cat is playing in the garden';
const HYP = 'The cat plays in the garden';

test('BLEU: the course example, every precision by hand', () => {
  // hyp (c = 6): The cat plays in the garden; ref (r = 7): The cat is playing in the garden.
  // 1-grams: The cat in the garden match, plays does not → 5/6 (case matters: The ≠ the).
  // 2-grams: "The cat", "in the", "the garden" match; "cat plays", "plays in" not → 3/5.
  // 3-grams: only "in the garden" → 1/4.   4-grams: none of 3 → 0/3.
  // BP = exp(1 − 7/6) = exp(−1/6) = 0.846482.
  // 'exp' smoothing: the first zero order gets 1/(2·3) = 16.67 %.
  // BLEU = 0.846482 · (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = 0.846482 · 0.020833^(1/4) = 0.846482 · 0.379918 = 32.159.
  const b = E.corpusBleu([HYP], [[REF]]);
  assert.deepEqual(b.counts, [5, 3, 1, 0]);
  assert.deepEqual(b.totals, [6, 5, 4, 3]);
  assert.equal(b.sysLen, 6);
  assert.equal(b.refLen, 7);
  close(b.bp, Math.exp(-1 / 6));
  [100 * (5 / 6), 60, 25, 100 / 6].forEach((p, i) => close(b.precisions[i]!, p));
  close(b.score, 100 * Math.exp(-1 / 6) * ((5 / 6) * (3 / 5) * (1 / 4) * (1 / 6)) ** 0.25);
  close(b.score, 32.159351, 1e-6);
  // Without smoothing a zero 4-gram precision makes the geometric mean, and BLEU, 0.
  assert.equal(E.corpusBleu([HYP], [[REF]], { smooth: 'none' }).score, 0);
  // Token arrays give the same statistics as the strings.
  assert.deepEqual(E.corpusBleu([HYP.split(' ')], [[REF.split(' ')]]), b);
});

test('BLEU: perfect match is 100, no overlap is 0', () => {
  // Every n-gram matches: all precisions 100 %, c = r so BP = 1 → 100.
  const p = E.corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]);
  close(p.score, 100);
  assert.equal(p.bp, 1);
  // No unigram matches: 0 under every smoothing (sacreBLEU stops early on zero matches).
  for (const smooth of ['exp', 'none', 'floor', 'add-k'] as const)
    assert.equal(E.corpusBleu(['a b c d'], [['w x y z']], { smooth }).score, 0);
});

test('BLEU: brevity penalty', () => {
  // Longer hypothesis: c = 7 > r = 6 → BP = 1; precisions 6/7, 5/6, 4/5, 3/4 → (3/7)^(1/4) = 0.809107.
  const long = E.corpusBleu(['the cat sat on the mat today'], [['the cat sat on the mat']]);
  assert.equal(long.bp, 1);
  close(long.score, 100 * (3 / 7) ** 0.25);
  // Shorter: c = 5, r = 6, every n-gram matches → BLEU = BP = exp(1 − 6/5) = exp(−0.2) = 0.818731.
  const short = E.corpusBleu(['the cat sat on the'], [['the cat sat on the mat']]);
  close(short.bp, Math.exp(-0.2));
  close(short.score, 100 * Math.exp(-0.2));
  // Corpus level: lengths are summed first. c = 5 + 6 = 11, r = 6 + 6 = 12 → BP = exp(1 − 12/11).
  const corpus = E.corpusBleu(
    ['the cat sat on the', 'the cat sat on the mat'],
    [['the cat sat on the mat'], ['the cat sat on the mat']],
  );
  close(corpus.bp, Math.exp(1 - 12 / 11));
  // An empty hypothesis: c = 0 → BP = 0 and no matches → 0.
  const empty = E.corpusBleu([''], [['the cat']]);
  assert.equal(empty.bp, 0);
  assert.equal(empty.score, 0);
});

test('BLEU: multiple references, closest length with ties to the shorter', () => {
  // hyp "the cat sat on mat" (c = 5); refs A "the cat sat on" (4), B "a cat sat on the mat" (6).
  // |4 − 5| = |6 − 5| = 1: the tie goes to the shorter, r = 4, so c > r and BP = 1.
  // Clips take the max over references: 1-grams 5/5 (mat from B); 2-grams "the cat", "cat sat",
  // "sat on" match, "on mat" not → 3/4; 3-grams "the cat sat", "cat sat on" → 2/3; 4-grams
  // "the cat sat on" → 1/2. BLEU = (1 · 3/4 · 2/3 · 1/2)^(1/4) = (1/4)^(1/4) = 1/√2 = 70.7107.
  const b = E.corpusBleu(['the cat sat on mat'], [['the cat sat on', 'a cat sat on the mat']]);
  assert.equal(b.refLen, 4);
  assert.deepEqual(b.counts, [5, 3, 2, 1]);
  close(b.score, 100 / Math.SQRT2);
  assert.equal(E.closestRefLength(5, [6, 4]), 4);
  assert.equal(E.closestRefLength(5, [3, 7, 6]), 6);
});

test('BLEU: clipping and the four smoothing methods', () => {
  // hyp "the the the the" vs ref "the cat": "the" occurs 4 times but is clipped to its 1 reference
  // occurrence → 1/4; 2-grams "the the" ×3 → 0/3; 3-grams 0/2; 4-grams 0/1. c = 4 > r = 2 → BP = 1.
  const stats = (smooth: E.BleuSmoothing) => E.corpusBleu(['the the the the'], [['the cat']], { smooth });
  const none = stats('none');
  assert.deepEqual(
    [none.counts, none.totals],
    [
      [1, 0, 0, 0],
      [4, 3, 2, 1],
    ],
  );
  assert.equal(none.score, 0);
  // exp: the k-th zero order gets 1/(2^k · total): 1/(2·3), 1/(4·2), 1/(8·1) →
  // (25 · 16.667 · 12.5 · 12.5)^(1/4) = 65104.17^(1/4) = 15.9736.
  close(stats('exp').score, (25 * (100 / 6) * 12.5 * 12.5) ** 0.25);
  // floor (0.1): a zero order gets 0.1/total: 3.333 %, 5 %, 10 % → (25 · 3.333 · 5 · 10)^(1/4) = 8.0343.
  close(stats('floor').score, (25 * (10 / 3) * 5 * 10) ** 0.25);
  // add-k (1) on orders ≥ 2: 1/4, 1/3, 1/2 → (25 · 25 · 33.33 · 50)^(1/4) = 31.9472.
  close(stats('add-k').score, (25 * 25 * (100 / 3) * 50) ** 0.25);
});

test("BLEU: the 13a tokenizer splits symbols but keeps 3.14, 1,000, it's and well-known", () => {
  assert.deepEqual(E.tokenize13a("Hello, world! It's 3.14 - well-known (really). 1,000 5-6 a&amp;b"), [
    ...['Hello', ',', 'world', '!', "It's", '3.14', '-', 'well-known', '(', 'really', ')', '.'],
    ...['1,000', '5', '-', '6', 'a', '&', 'b'],
  ]);
  // With 13a "sat." is "sat" "." and matches the reference; split on whitespace only, it does not.
  close(E.corpusBleu(['the cat sat.'], [['the cat sat .']]).score, 100);
  assert.ok(E.corpusBleu(['the cat sat.'], [['the cat sat .']], { tokenize: 'none' }).score < 100);
});

test('chrF: a small pair by hand, whitespace ignored, effective order', () => {
  // "the cat" vs "the hat" with spaces removed: "thecat" vs "thehat".
  // 1: t h e c a t vs t h e h a t → t×2, h, e, a match = 5 of 6 both ways.
  // 2: th he ec ca at vs th he eh ha at → 3/5.   3: the hec eca cat vs the heh eha hat → 1/4.
  // 4, 5, 6: 0/3, 0/2, 0/1. P = R = (5/6 + 3/5 + 1/4 + 0 + 0 + 0)/6 = 101/360, so F2 = 28.0556.
  close(E.corpusChrf(['the cat'], [['the hat']]).score, (100 * 101) / 360);
  // "ab" vs "abc": order 1 2/2 vs 2/3, order 2 1/1 vs 1/2; orders ≥ 3 have no hypothesis n-gram and
  // do not count. P = 1, R = (2/3 + 1/2)/2 = 7/12; F2 = 5·P·R / (4·P + R) = (35/12)/(55/12) = 7/11.
  close(E.corpusChrf(['ab'], [['abc']]).score, 700 / 11);
  // With several references the best sentence F is kept.
  close(E.corpusChrf(['ab'], [['xyz', 'abc']]).score, 700 / 11);
  close(E.corpusChrf(['a b c'], [['abc']]).score, 100);
  close(E.corpusChrf(['abc'], [['xyz']]).score, 0);
});

test('chrF++ adds word unigrams and bigrams', () => {
  // Course example: word unigrams 5 of 6 (hyp) / 7 (ref) match; bigrams 3 of 5 / 6.
  const s = E.corpusChrf([HYP], [[REF]], { wordOrder: 2 });
  assert.equal(s.stats.length, 8);
  assert.deepEqual(s.stats[6], { hyp: 6, ref: 7, match: 5 });
  assert.deepEqual(s.stats[7], { hyp: 5, ref: 6, match: 3 });
  // Trailing punctuation is split off a word: "mat." → "mat" ".".
  assert.deepEqual(E.chrfWords('(hi) the mat.'), ['(hi', ')', 'the', 'mat', '.']);
});

test('ROUGE: Lin 2004 LCS example and the course example', () => {
  // Lin's example, ref "police killed the gunman". S2 "police kill the gunman": LCS "police the
  // gunman" = 3 → P = R = F = 3/4. S3 "the gunman kill police": LCS "the gunman" = 2 → 1/2.
  // ROUGE-2 cannot tell them apart: each shares only "the gunman" → 1/3.
  const ref = 'police killed the gunman';
  const s2 = E.sentenceRouge('police kill the gunman', [ref]);
  const s3 = E.sentenceRouge('the gunman kill police', [ref]);
  close(s2.rougeL.f, 3 / 4);
  close(s3.rougeL.f, 1 / 2);
  close(s2.rouge2.f, 1 / 3);
  close(s3.rouge2.f, 1 / 3);
  // Course example: ROUGE-1 matches 5, P = 5/6, R = 5/7, F1 = 2PR/(P+R) = 10/13.
  // ROUGE-2: 3 matches, P = 3/5, R = 3/6 → F1 = 6/11. ROUGE-L: LCS "The cat in the garden" = 5 → 10/13.
  const c = E.sentenceRouge(HYP, [REF]);
  close(c.rouge1.precision, 5 / 6);
  close(c.rouge1.recall, 5 / 7);
  close(c.rouge1.f, 10 / 13);
  close(c.rouge2.f, 6 / 11);
  close(c.rougeL.f, 10 / 13);
  assert.equal(E.lcsLength(['a', 'b', 'c', 'd'], ['b', 'd', 'a']), 2);
  // Corpus ROUGE is the mean of sentence scores: (3/4 + 1/2)/2.
  close(E.corpusRouge(['police kill the gunman', 'the gunman kill police'], [[ref], [ref]]).rougeL.f, 5 / 8);
  // The rouge-score tokenizer lowercases and drops punctuation: "The cat!" = "the cat".
  close(E.sentenceRouge('The cat!', ['the cat'], { tokenize: 'rouge-score' }).rouge2.f, 1);
});

test('perplexity: a uniform model over V tokens has perplexity V', () => {
  // NLL of each token is ln V, so exp(mean NLL) = V; bits per token = log2 V.
  const V = 50;
  const nll = new Float64Array(10).fill(Math.log(V));
  close(E.perplexity(nll), V, 1e-9);
  close(E.bitsPerToken(nll), Math.log2(V));
  // 10 tokens spelling 20 characters: 10 · log2 50 bits / 20 chars.
  close(E.bitsPerChar(nll, 20), (10 * Math.log2(V)) / 20);
  close(E.perplexityFromLoss(Math.log(V)), V, 1e-9);
  // Mixed: NLLs ln 2 and ln 8 → mean ln 4 → perplexity 4.
  close(E.perplexity([Math.log(2), Math.log(8)]), 4);
});

test('bad input names the metric and the sizes', () => {
  assert.throws(() => E.corpusBleu(['a', 'b'], [['a']]), /BLEU: 2 hypotheses but 1 reference lists/);
  assert.throws(() => E.corpusBleu([], []), /BLEU: empty corpus \(0 hypotheses/);
  assert.throws(() => E.corpusBleu(['a'], [[]]), /BLEU: hypothesis 0 of 1 has no reference/);
  assert.throws(() => E.corpusChrf(['a'], [['a'], ['b']]), /chrF: 1 hypotheses but 2 reference lists/);
  assert.throws(() => E.corpusChrf([], [], { wordOrder: 2 }), /chrF\+\+: empty corpus/);
  assert.throws(() => E.corpusRouge(['a', 'b', 'c'], [['a']]), /ROUGE: 3 hypotheses but 1 reference lists/);
  assert.throws(() => E.perplexity([]), /perplexity: no token NLLs \(0 values\)/);
  assert.throws(() => E.perplexity([1, NaN]), /perplexity: NLL 1 of 2 is NaN/);
  assert.throws(() => E.bitsPerToken([Infinity]), /bits per token: NLL 0 of 1 is Infinity/);
  assert.throws(() => E.perplexity([-0.5]), /NLL 0 of 1 is -0.5 < 0/);
  assert.throws(() => E.bitsPerChar([1], 0), /bits per char: character count must be a positive integer, got 0/);
});
