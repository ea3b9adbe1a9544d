// The GPT graph in float64 (no GPU): parameter count and names, one parameter's gradient against
// central finite differences through the whole model, the Hugging Face GPT-2 mapping (names,
// c_attn concat, round trip), GPT2Config fields, the data split and the unigram baseline, and
// the kv_cache reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGpt, gptParamCount, type GptConfig } from '../../src/models/gpt/graph';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { fromHf, gpt2Config, toHf, configFromGpt2, type Params } from '../../src/models/gpt/hf';
import { splitTokens, randomBatch, unigramBaseline } from '../../src/models/gpt/data';
import { kvCacheForward } from '../../src/reference/kv_cache';
import { numericGrad } from '../harness/fd';
import { assertClose } from '../harness/assert';
import { Rng } from '../../src/util/prng';

const CFG: GptConfig = { vocabSize: 11, block: 6, layers: 2, heads: 2, embd: 8, dropout: 0, bias: true };

test('parameter count and names: tied head, GPT-2-like names', () => {
  const m = buildGpt(CFG, 1, 6);
  const params = m.g.trainable();
  assert.equal(
    params.reduce((s, p) => s + p.size, 0),
    gptParamCount(CFG),
  );
  const names = params.map((p) => p.name);
  for (const n of [
    'transformer.wte.weight',
    'transformer.wpe.weight',
    'transformer.h.1.attn.query.weight',
    'transformer.h.0.mlp.proj.bias',
    'transformer.ln_f.weight',
  ])
    assert.ok(names.includes(n), n);
  assert.ok(!names.some((n) => n.includes('lm_head')), 'the LM head is the wte weight');
  const noBias = buildGpt({ ...CFG, bias: false }, 1, 6).g.trainable();
  assert.equal(
    noBias.reduce((s, p) => s + p.size, 0),
    gptParamCount({ ...CFG, bias: false }),
  );
});

test('init: N(0, 0.02) weights, residual projections scaled by 1/√(2·layers), zero biases', () => {
  const big: GptConfig = { ...CFG, embd: 64, heads: 4, layers: 4 };
  const m = buildGpt(big, 1, 6);
  const std = (name: string): number => {
    const a = (m.g.params.get(name)!.node.attrs as { init: Float32Array }).init;
    return Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  };
  assert.ok(Math.abs(std('transformer.h.0.mlp.fc.weight') - 0.02) < 0.001);
  assert.ok(Math.abs(std('transformer.h.0.mlp.proj.weight') - 0.02 / Math.sqrt(8)) < 0.0005);
  assert.ok(Math.abs(std('transformer.h.0.attn.out.weight') - 0.02 / Math.sqrt(8)) < 0.0008);
  assert.equal(std('transformer.h.0.attn.query.bias'), 0);
});

test('the tied weight’s gradient matches central finite differences through the whole model (float64)', () => {
  const B = 1;
  const T = 5;
  const m = buildGpt(CFG, B, T, { seed: 2 });
  const wte = m.g.params.get('transformer.wte.weight')!;
  const [grad] = gradients(m.g, m.loss!, [wte]);
  const r = new Rng(3);
  const feeds = {
    ids: Array.from({ length: B * T }, () => r.int(CFG.vocabSize)),
    targets: Array.from({ length: B * T }, () => r.int(CFG.vocabSize)),
  };
  // larger weights than the init so the check is not dominated by the near-uniform softmax
  const params: Record<string, Float64Array> = {};
  let s = 10;
  for (const p of m.g.trainable()) {
    const rr = new Rng(s++);
    params[p.name] = Float64Array.from({ length: p.size }, () => rr.uniform(-0.5, 0.5));
  }
  const analytic = evaluate(m.g, [grad!], feeds, params).get(grad!)!;
  const x = params['transformer.wte.weight']!;
  const f = (v: Float64Array): number =>
    evaluate(m.g, [m.loss!], feeds, { ...params, 'transformer.wte.weight': v }).get(m.loss!)![0]!;
  assertClose(analytic, numericGrad(f, Float64Array.from(x)), { atol: 1e-7, rtol: 1e-5 }, 'd loss / d wte');
});

function params(c: GptConfig): Params {
  const m = buildGpt(c, 1, 2, { seed: 4 });
  const out: Params = {};
  for (const p of m.g.trainable())
    out[p.name] = { shape: [...p.shape], data: (p.node.attrs as { init: Float32Array }).init };
  return out;
}

test('Hugging Face GPT-2 mapping: names, shapes, c_attn = [q | k | v] along the output axis, round trip', () => {
  const ours = params(CFG);
  const hf = toHf(ours, CFG);
  const D = CFG.embd;
  assert.deepEqual([...hf['transformer.h.0.attn.c_attn.weight']!.shape], [D, 3 * D]);
  assert.deepEqual([...hf['transformer.h.1.mlp.c_fc.weight']!.shape], [D, 4 * D]);
  assert.deepEqual([...hf['transformer.h.1.mlp.c_proj.weight']!.shape], [4 * D, D]);
  const w = hf['transformer.h.1.attn.c_attn.weight']!.data;
  const k = ours['transformer.h.1.attn.key.weight']!.data;
  for (let r = 0; r < D; r++) for (let c = 0; c < D; c++) assert.equal(w[r * 3 * D + D + c], k[r * D + c]);
  assert.equal(Object.keys(hf).length, 4 + CFG.layers * 12);
  const back = fromHf(hf, CFG);
  assert.deepEqual(Object.keys(back).sort(), Object.keys(ours).sort());
  for (const n of Object.keys(ours)) assert.deepEqual(back[n]!.data, ours[n]!.data, n);
  // bias: false → zero biases for GPT-2, dropped again on load
  const nb = { ...CFG, bias: false };
  const hfNb = toHf(params(nb), nb);
  assert.ok(hfNb['transformer.h.0.attn.c_attn.bias']!.data.every((v) => v === 0));
  assert.deepEqual(Object.keys(fromHf(hfNb, nb)).sort(), Object.keys(params(nb)).sort());
});

test('config.json carries GPT2Config fields and reads back', () => {
  const j = gpt2Config(CFG, { eosId: 3 });
  for (const [k, v] of Object.entries({
    model_type: 'gpt2',
    vocab_size: 11,
    n_positions: 6,
    n_embd: 8,
    n_layer: 2,
    n_head: 2,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    eos_token_id: 3,
  }))
    assert.deepEqual(j[k], v, k);
  assert.deepEqual(j['architectures'], ['GPT2LMHeadModel']);
  assert.deepEqual(configFromGpt2(j as Record<string, unknown>), CFG);
});

test('data: 90/10 split, windows shifted by one, unigram baseline', () => {
  const ids = Array.from({ length: 100 }, (_, i) => i % 7);
  const { train, val } = splitTokens(ids);
  assert.equal(train.length, 90);
  assert.equal(val[0], 90 % 7);
  const b = randomBatch(train, 3, 5, new Rng(1));
  for (let i = 0; i < 3; i++) for (let t = 0; t < 4; t++) assert.equal(b.targets[i * 5 + t], b.ids[i * 5 + t + 1]);
  // uniform over 7 symbols: about log 7
  assert.ok(Math.abs(unigramBaseline(train, val, 7) - Math.log(7)) < 0.02);
});

test('kv_cache reference: row p replaced in every (b, h), p clamped', () => {
  const cache = Float64Array.from({ length: 2 * 3 * 2 }, (_, i) => i);
  const out = kvCacheForward(cache, [100, 101, 200, 201], 1, 2, 3, 2);
  assert.deepEqual(Array.from(out), [0, 1, 100, 101, 4, 5, 6, 7, 200, 201, 10, 11]);
  assert.deepEqual(Array.from(kvCacheForward(cache, [100, 101, 200, 201], 9, 2, 3, 2)).slice(4, 6), [100, 101]);
});
