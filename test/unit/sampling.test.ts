// Sampling properties: top-k never leaves the k most likely tokens, top-p keeps the smallest
// most-likely set reaching mass p, temperature → 0 is greedy, beam width 1 is greedy, and a
// seeded sampler repeats itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, beamSearch, samplingProbs, sampleNext, logSoftmax } from '../../src/models/gpt/sampling';
import { Rng } from '../../src/util/prng';

function randomLogits(V: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: V }, () => r.uniform(-3, 3));
}

test('top-k: every sampled token is among the k most likely', () => {
  const logits = randomLogits(57, 1);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
  for (const k of [1, 3, 10]) {
    const allowed = new Set(order.slice(0, k));
    const rng = new Rng(k);
    for (let i = 0; i < 500; i++) assert.ok(allowed.has(sampleNext(logits, rng, { topK: k })), `k=${k}`);
    const p = samplingProbs(logits, { topK: k });
    assert.equal(Array.from(p).filter((v) => v > 0).length, k);
    assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  }
});

test('top-p: the kept set is the smallest most-likely prefix whose mass reaches p', () => {
  const logits = randomLogits(41, 2);
  const full = samplingProbs(logits);
  const order = Array.from(full.keys()).sort((a, b) => full[b]! - full[a]!);
  for (const topP of [0.1, 0.5, 0.9, 0.99]) {
    const p = samplingProbs(logits, { topP });
    const kept = order.filter((i) => p[i]! > 0);
    const mass = kept.reduce((s, i) => s + full[i]!, 0);
    assert.ok(mass >= topP - 1e-12, `kept mass ${mass} < ${topP}`);
    assert.ok(mass - full[kept.at(-1)!]! < topP, `a smaller set already reaches ${topP}`);
    assert.deepEqual(kept, order.slice(0, kept.length), 'kept tokens are the most likely ones');
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) assert.ok(p[sampleNext(logits, rng, { topP })]! > 0);
  }
});

test('temperature → 0 is greedy; lowering the temperature concentrates mass on the argmax', () => {
  for (let s = 0; s < 20; s++) {
    const logits = randomLogits(30, 10 + s);
    assert.equal(sampleNext(logits, new Rng(s), { temperature: 0 }), argmax(logits));
    assert.equal(sampleNext(logits, new Rng(s), { temperature: 1e-9 }), argmax(logits));
    const top = [1, 0.3, 0.1, 0.01].map((temperature) => samplingProbs(logits, { temperature })[argmax(logits)]!);
    for (let i = 1; i < top.length; i++)
      assert.ok(top[i]! >= top[i - 1]!, `p(argmax) grows as T falls: ${top.join(', ')}`);
  }
});

test('a seeded sampler repeats its choices', () => {
  const logits = randomLogits(20, 4);
  const draw = (): number[] => {
    const r = new Rng(7);
    return Array.from({ length: 50 }, () => sampleNext(logits, r, { temperature: 1.3, topK: 8, topP: 0.9 }));
  };
  assert.deepEqual(draw(), draw());
});

/** A toy "model": next-token logits from a fixed random table indexed by the last two tokens. */
function toyModel(V: number): (seqs: number[][]) => Promise<Float32Array[]> {
  const table = randomLogits(V * V * V, 5);
  return async (seqs) =>
    seqs.map((s) => {
      const k = (s.at(-2) ?? 0) * V + s.at(-1)!;
      return table.slice(k * V, k * V + V);
    });
}

test('beam width 1 is greedy decoding; a wider beam never finds a less likely sequence', async () => {
  const V = 9;
  const next = toyModel(V);
  const greedy = [1, 2];
  let logp = 0;
  for (let i = 0; i < 8; i++) {
    const [l] = await next([greedy]);
    const t = argmax(l!);
    logp += logSoftmax(l!)[t]!;
    greedy.push(t);
  }
  const b1 = await beamSearch(next, [1, 2], { width: 1, tokens: 8 });
  assert.deepEqual(b1.seq, greedy);
  assert.ok(Math.abs(b1.logp - logp) < 1e-9);
  const b4 = await beamSearch(next, [1, 2], { width: 4, tokens: 8 });
  assert.equal(b4.seq.length, greedy.length);
  assert.ok(b4.logp >= b1.logp - 1e-12, `beam 4 ${b4.logp} < greedy ${b1.logp}`);
});

test('beam search stops hypotheses at the stop condition', async () => {
  const next = toyModel(6);
  const r = await beamSearch(next, [0], { width: 3, tokens: 20, stop: (s) => s.at(-1) === 5 });
  assert.ok(r.seq.length <= 21);
});
