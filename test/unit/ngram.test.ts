// The n-gram baseline (src/text/ngram.ts): add-k probabilities worked by hand, Kneser–Ney
// normalization for every context, unseen n-grams, perplexity of a uniform model, seeded sampling
// and the option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NgramLM } from '../../src/text/ngram';
import { InputError } from '../../src/util/errors';
import { Rng } from '../../src/util/prng';
import { ngramBaseline } from '../../src/models/gpt/data';
import { baselineLine } from '../../scripts/lib/cli';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

// "abababa" with a = 0, b = 1 and a third symbol c = 2 that never occurs; V = 3.
const ABA = [0, 1, 0, 1, 0, 1, 0];

test('add-k bigram and unigram probabilities on "abababa" match the hand count', () => {
  const bi = NgramLM.train(ABA, { n: 2, vocab: 3, smoothing: 'add-k', k: 1 });
  // Bigrams: a→b three times, b→a three times. p(w | ctx) = (c(ctx, w) + k) / (c(ctx) + k·V).
  close(Math.exp(bi.logProb([0], 1)), (3 + 1) / (3 + 3)); // 2/3
  close(Math.exp(bi.logProb([0], 0)), (0 + 1) / (3 + 3)); // 1/6
  close(Math.exp(bi.logProb([0], 2)), (0 + 1) / (3 + 3)); // 1/6
  close(Math.exp(bi.logProb([1], 0)), (3 + 1) / (3 + 3)); // 2/3
  close(Math.exp(bi.logProb([2], 2)), (0 + 1) / (0 + 3)); // unseen context: uniform 1/3
  close(Math.exp(bi.logProb([1, 1, 0], 1)), 2 / 3); // only the last n - 1 = 1 token counts
  // Unigrams: a 4 times, b 3, c 0, total 7: p = (c + 1) / (7 + 3).
  const uni = NgramLM.train(ABA, { n: 1, vocab: 3, smoothing: 'add-k', k: 1 });
  assert.deepEqual(Array.from(uni.distribution([])), [5 / 10, 4 / 10, 1 / 10]);
  // The bigram model scores a first token (no context yet) with its unigram counts: 5/10.
  close(Math.exp(bi.logProb([], 0)), 0.5);
  // evaluate("aba"): a with no context 1/2, then b|a 2/3, then a|b 2/3.
  const e = bi.evaluate([0, 1, 0]);
  close(e.nll, -(Math.log(1 / 2) + 2 * Math.log(2 / 3)) / 3);
  close(e.perplexity, Math.exp(e.nll));
  assert.equal(e.unseen, 0);
  assert.equal(e.total, 2);
  assert.equal(e.tokens, 3);
});

test('Kneser–Ney distributions sum to 1 for every context, seen or unseen, and agree with logProb', () => {
  const rng = new Rng(7);
  // Symbols 0..4 with a bias toward repeating patterns; symbol 5 never occurs in training.
  const ids: number[] = [];
  for (let i = 0; i < 300; i++) ids.push(rng.next() < 0.6 ? i % 3 : rng.int(5));
  const V = 6;
  for (const n of [1, 2, 3]) {
    const lm = NgramLM.train(ids, { n, vocab: V, smoothing: 'kneser-ney' });
    const contexts: number[][] = [[]];
    for (let a = 0; a < V; a++) {
      contexts.push([a]);
      for (let b = 0; b < V; b++) contexts.push([a, b]);
    }
    for (const ctx of contexts) {
      const p = lm.distribution(ctx);
      close(
        p.reduce((s, x) => s + x, 0),
        1,
        1e-12,
      );
      for (let w = 0; w < V; w++) {
        assert.ok(p[w]! > 0, `p(${w} | ${ctx}) > 0 at n = ${n}`);
        close(Math.exp(lm.logProb(ctx, w)), p[w]!, 1e-14);
      }
    }
    for (const D of lm.discounts) assert.ok(D > 0 && D < 1, `discount ${D}`);
  }
});

test('a bigram on text with unseen pairs gives them a finite probability and counts them', () => {
  const train = [0, 1, 2, 0, 1, 2, 0, 1, 2]; // "abcabcabc"
  const held = [0, 2, 1, 2, 0]; // a→c and c→b never occur; b→c and c→a do
  for (const smoothing of ['add-k', 'kneser-ney'] as const) {
    const lm = NgramLM.train(train, { n: 2, vocab: 3, smoothing, k: 0.5 });
    const e = lm.evaluate(held);
    assert.equal(e.unseen, 2, smoothing);
    assert.equal(e.total, 4, smoothing);
    assert.ok(Number.isFinite(e.nll) && e.nll > 0, `${smoothing} nll ${e.nll}`);
    assert.ok(Number.isFinite(lm.logProb([0], 2)), smoothing);
  }
  // Add-k with k = 0.5: p(c | a) = (0 + 0.5) / (3 + 1.5) = 1/9.
  close(Math.exp(NgramLM.train(train, { n: 2, vocab: 3, smoothing: 'add-k', k: 0.5 }).logProb([0], 2)), 1 / 9);
});

test('a uniform add-k unigram over V symbols has perplexity V on balanced text', () => {
  const V = 4;
  const train = Array.from({ length: 100 }, (_, i) => i % V);
  const held = Array.from({ length: 40 }, (_, i) => V - 1 - (i % V));
  const e = NgramLM.train(train, { n: 1, vocab: V, smoothing: 'add-k', k: 1 }).evaluate(held);
  close(e.perplexity, V, 1e-9);
  assert.equal(e.unseen, 0);
  assert.equal(e.total, 40);
});

test('a trigram Kneser–Ney model beats the unigram on text with structure', () => {
  const text = 'the cat sat on the mat. the dog sat on the log. ';
  const ids = Array.from(text.repeat(20), (c) => c.charCodeAt(0) - 32);
  const [train, val] = [ids.slice(0, 800), ids.slice(800)];
  const uni = NgramLM.train(train, { n: 1, vocab: 96, smoothing: 'kneser-ney' }).evaluate(val);
  const tri = NgramLM.train(train, { n: 3, vocab: 96, smoothing: 'kneser-ney' }).evaluate(val);
  assert.ok(tri.nll < uni.nll - 1, `trigram ${tri.nll} vs unigram ${uni.nll}`);
});

test('sampling is deterministic for a seed', () => {
  const lm = NgramLM.train(ABA, { n: 2, vocab: 3, smoothing: 'add-k', k: 0.01 });
  const a = lm.sample([0], new Rng(3), 50);
  assert.deepEqual(lm.sample([0], new Rng(3), 50), a);
  assert.equal(a.length, 50);
  // With k = 0.01 the model almost always alternates: p(b | a) = 3.01 / 3.03.
  let alternations = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== (i === 0 ? 0 : a[i - 1])) alternations++;
  assert.ok(alternations >= 45, `${alternations} alternations`);
  const kn = NgramLM.train(ABA, { n: 3, vocab: 3, smoothing: 'kneser-ney' });
  assert.deepEqual(kn.sample([], new Rng(9), 20), kn.sample([], new Rng(9), 20));
  const flat = NgramLM.train(ABA, { n: 2, vocab: 3, smoothing: 'add-k', k: 10 });
  assert.notDeepEqual(flat.sample([0], new Rng(3), 50), flat.sample([0], new Rng(4), 50));
});

test('bad options and ids throw an InputError naming the option and the limit', () => {
  const bad = (o: Parameters<typeof NgramLM.train>[1], re: RegExp, ids: number[] = ABA): void =>
    assert.throws(
      () => NgramLM.train(ids, o),
      (e: unknown) => e instanceof InputError && re.test(e.message),
    );
  bad({ n: 0, vocab: 3, smoothing: 'add-k' }, /n = 0 .*1\.\.5/);
  bad({ n: 6, vocab: 3, smoothing: 'kneser-ney' }, /n = 6 .*1\.\.5/);
  bad({ n: 2, vocab: 3, smoothing: 'add-k', k: 0 }, /k = 0 .*> 0/);
  bad({ n: 2, vocab: 3, smoothing: 'add-k', k: -1 }, /k = -1 /);
  bad({ n: 2, vocab: 3, smoothing: 'witten-bell' as 'add-k' }, /smoothing = witten-bell/);
  bad({ n: 2, vocab: 3, smoothing: 'add-k' }, /ids\[2\] = 3 .*vocab = 3/, [0, 1, 3]);
  bad({ n: 5, vocab: 50_000, smoothing: 'add-k' }, /vocab = 50000 with n = 5 .*2\^53/);
  const lm = NgramLM.train(ABA, { n: 2, vocab: 3, smoothing: 'add-k' });
  assert.throws(() => lm.logProb([0], 3), /next\[0\] = 3 .*vocab = 3/);
  assert.throws(() => lm.evaluate([5]), InputError);
});

test('the GPT baseline row: ngramBaseline figures and their place in the CLI baseline line', () => {
  const ids = Array.from('abcabcabd'.repeat(30), (c) => c.charCodeAt(0) - 97);
  const b = ngramBaseline(ids.slice(0, 240), ids.slice(240), 4);
  assert.equal(b.n, 3);
  assert.equal(b.smoothing, 'kneser-ney');
  assert.ok(b.val_loss > 0 && b.val_loss < Math.log(4), `${b.val_loss}`);
  assert.equal(b.unseen_fraction, 0);
  assert.equal(
    baselineLine({
      val_loss: 0.44421,
      unigram_baseline: 3.05206,
      entropy_floor_nats_per_char: 0.10784,
      tokenizer: 'char',
      baseline_ngram: { n: 3, smoothing: 'kneser-ney', val_loss: 1.23244, unseen_fraction: 0 },
    }),
    "val loss 0.4442 nats/char; unigram baseline 3.0521 (no context); corpus floor 0.1078 (the generator's own entropy); 3-gram baseline 1.2324 (Kneser–Ney, 2 tokens of context)",
  );
});
