// LoRA in float64, no GPU: which modules PEFT's target rule picks, what is frozen, the adapted
// GPT's gradients against central finite differences, the host merge, and PEFT's tensor
// layout (transposes, c_attn's concatenated B) both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { planBuffers, schedule } from '../../src/graph/plan';
import { formatMemory, memoryReport } from '../../src/graph/memory';
import { isOp, type Graph } from '../../src/graph/graph';
import { buildGpt, type GptConfig } from '../../src/models/gpt/graph';
import { isTarget, loraShapes, mergeLora, type LoraConfig } from '../../src/nn/lora';
import { loraConfigOfPeft, loraFromPeft, loraToPeft, peftAdapterConfig } from '../../src/nn/lora_peft';
import { Rng } from '../../src/util/prng';
import { assertClose } from '../harness/assert';

const TINY: GptConfig = { vocabSize: 11, block: 5, layers: 2, heads: 2, embd: 8, dropout: 0, bias: true };
const LORA: LoraConfig = { r: 3, alpha: 6, dropout: 0, targets: ['c_attn', 'attn.c_proj', 'c_fc'] };

function ints(n: number, seed: number, V: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
}

/** Every parameter's initial values as float64, with the adapters' B made non-zero (else dA = 0). */
function paramsOf(g: Graph, seed: number): Record<string, Float64Array> {
  const r = new Rng(seed);
  const out: Record<string, Float64Array> = {};
  for (const [name, p] of g.params) {
    if (!isOp(p.node, 'param')) continue;
    const init = Float64Array.from(p.node.attrs.init);
    out[name] = name.includes('.lora_B') ? init.map(() => r.uniform(-0.5, 0.5)) : init;
  }
  return out;
}

test('lora: target modules follow PEFT’s rule (the name, or a suffix after a dot)', () => {
  assert.ok(isTarget('transformer.h.0.attn.c_proj', ['c_proj']));
  assert.ok(isTarget('transformer.h.0.mlp.c_proj', ['c_proj']));
  assert.ok(!isTarget('transformer.h.0.mlp.c_proj', ['attn.c_proj']));
  assert.ok(isTarget('transformer.h.1.attn.c_attn', ['h.1.attn.c_attn']));
  assert.ok(!isTarget('transformer.h.11.attn.c_attn', ['1.attn.c_attn']));
  assert.ok(!isTarget('transformer.h.0.attn.c_attnx', ['c_attn']));
});

test('lora: only the adapters train; B starts at zero; bad configs and unmatched targets are refused by name', () => {
  const m = buildGpt(TINY, 1, TINY.block, { lora: LORA });
  const trainable = m.g.trainable().map((p) => p.name);
  // per layer: c_attn (A + 3 B slices), attn.c_proj (A, B), mlp.c_fc (A, B)
  assert.equal(trainable.length, TINY.layers * 8);
  assert.ok(trainable.every((n) => n.includes('.lora_')));
  assert.ok(trainable.includes('transformer.h.1.attn.c_attn.lora_B.value'));
  for (const p of m.layers.lora.flatMap((a) => a.B))
    assert.ok(isOp(p.node, 'param') && p.node.attrs.init.every((v) => v === 0));
  const A = m.layers.lora[0]!.A;
  assert.ok(isOp(A.node, 'param') && A.node.attrs.init.every((v) => Math.abs(v) <= 1 / Math.sqrt(TINY.embd)));
  assert.throws(() => buildGpt(TINY, 1, 4, { lora: { ...LORA, targets: ['q_proj'] } }), /no module matches.*c_attn/);
  assert.throws(() => buildGpt(TINY, 1, 4, { lora: { ...LORA, r: 0 } }), /rank r must be a positive integer/);
  assert.throws(() => buildGpt(TINY, 1, 4, { lora: { ...LORA, dropout: 1 } }), /dropout must be in \[0, 1\)/);
});

test('lora: a step schedules no weight gradient of a frozen matrix (the planner drops them)', () => {
  /** Matmuls in the backward schedule whose output has the shape of a 2-D frozen weight. */
  const weightGrads = (lora: LoraConfig | undefined): number => {
    const m = buildGpt(TINY, 2, TINY.block, { lora, dropout: false });
    const base = [...m.g.params.values()].filter((p) => p.shape.length === 2 && !p.name.includes('.lora_'));
    const grads = gradients(m.g, m.loss!, m.g.trainable());
    const shapes = new Set(base.map((p) => p.shape.join('x')));
    return schedule(m.g, grads).filter((n) => n.op === 'matmul' && n.outputs.some((o) => shapes.has(o.shape.join('x'))))
      .length;
  };
  assert.ok(weightGrads(undefined) >= 4 * TINY.layers, 'the full model computes its weight gradients');
  assert.equal(weightGrads(LORA), 0);
});

test('lora: the adapted GPT’s gradients (every A and B) match central finite differences in float64', () => {
  const m = buildGpt(TINY, 2, TINY.block, { seed: 5, lora: LORA, dropout: false });
  const wrt = m.g.trainable();
  const grads = gradients(m.g, m.loss!, wrt);
  const feeds = { ids: ints(2 * TINY.block, 1, TINY.vocabSize), targets: ints(2 * TINY.block, 2, TINY.vocabSize) };
  const base = paramsOf(m.g, 9);
  const env = evaluate(m.g, [m.loss!, ...grads], feeds, base);
  const eps = 1e-6;
  const lossAt = (p: Record<string, Float64Array>): number => evaluate(m.g, [m.loss!], feeds, p).get(m.loss!)![0]!;
  wrt.forEach((w, wi) => {
    const num = new Float64Array(w.size);
    for (let i = 0; i < w.size; i++) {
      const p = { ...base, [w.name]: Float64Array.from(base[w.name]!) };
      p[w.name]![i] = base[w.name]![i]! + eps;
      const fp = lossAt(p);
      p[w.name]![i] = base[w.name]![i]! - eps;
      num[i] = (fp - lossAt(p)) / (2 * eps);
    }
    assertClose(env.get(grads[wi]!)!, num, { atol: 1e-7, rtol: 1e-5 }, `d loss / d ${w.name}`);
  });
});

test('lora: the host merge W + (α/r)·A·B matches float64', () => {
  const r = new Rng(3);
  const [inF, outF, rank, scale] = [7, 5, 3, 0.75];
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  const W = rand(inF * outF);
  const A = rand(inF * rank);
  const B = rand(rank * outF);
  const want = new Float64Array(inF * outF);
  for (let i = 0; i < inF; i++)
    for (let o = 0; o < outF; o++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += A[i * rank + k]! * B[k * outF + o]!;
      want[i * outF + o] = W[i * outF + o]! + scale * s;
    }
  assertClose(mergeLora(W, A, B, rank, scale), want, { atol: 1e-6, rtol: 1e-6 }, 'merged weight');
});

test('lora: PEFT’s tensors are (r, in) and (out, r), c_attn’s B slices concatenated q|k|v; the round trip is exact', () => {
  const m = buildGpt(TINY, 1, TINY.block, { lora: LORA });
  const shapes = loraShapes(m.layers.lora);
  const D = TINY.embd;
  const ours: Record<string, { shape: number[]; data: Float32Array }> = {};
  let k = 0;
  for (const s of shapes)
    for (const n of s.names) {
      const p = m.g.params.get(n)!;
      ours[n] = { shape: [...p.shape], data: Float32Array.from({ length: p.size }, () => k++) };
    }
  const peft = loraToPeft(shapes, ours, LORA.r);
  const a = peft['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight']!;
  const b = peft['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight']!;
  assert.deepEqual(a.shape, [LORA.r, D]);
  assert.deepEqual(b.shape, [3 * D, LORA.r]);
  // lora_A.weight[j, i] = A[i, j]; lora_B.weight[D + o, j] = B_key[j, o]
  const A = ours['transformer.h.0.attn.c_attn.lora_A']!.data;
  const Bk = ours['transformer.h.0.attn.c_attn.lora_B.key']!.data;
  assert.equal(a.data[2 * D + 5], A[5 * LORA.r + 2]);
  assert.equal(b.data[(D + 4) * LORA.r + 1], Bk[1 * D + 4]);
  assert.deepEqual(peft['base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight']!.shape, [4 * D, LORA.r]);
  assert.equal(Object.keys(peft).length, TINY.layers * 3 * 2);
  const back = loraFromPeft(shapes, peft, LORA.r);
  for (const [n, t] of Object.entries(ours)) assert.deepEqual(back[n]!.data, t.data, n);
  const extra = { ...peft, 'base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight': a };
  assert.throws(() => loraFromPeft(shapes, extra, LORA.r), /adapter does not have/);
});

test('lora: adapter_config.json carries PEFT’s fields and reads back; what we cannot run is refused', () => {
  const json = peftAdapterConfig(LORA, { taskType: 'CAUSAL_LM', fanInFanOut: true });
  assert.equal(json['peft_type'], 'LORA');
  assert.equal(json['fan_in_fan_out'], true);
  assert.deepEqual(loraConfigOfPeft(json), LORA);
  assert.throws(() => loraConfigOfPeft({ ...json, use_dora: true }), /use_dora is not supported/);
  assert.throws(() => loraConfigOfPeft({ ...json, target_modules: '.*attn' }), /regular-expression/);
  assert.throws(() => loraConfigOfPeft({ ...json, peft_type: 'IA3' }), /only "LORA"/);
});

test('memory report: a LoRA step’s plan splits into trainable adapters, frozen base, optimizer state and transients', () => {
  const m = buildGpt(TINY, 2, TINY.block, { lora: LORA });
  const wrt = m.g.trainable();
  const grads = gradients(m.g, m.loss!, wrt);
  // optimizer state as the Trainer makes it: one non-trainable param per trainable one
  const slots = wrt.map((p) => m.g.param(`${p.name}.m`, [...p.shape], new Float32Array(p.size), false));
  const plan = planBuffers(m.g, [m.loss!, ...grads, ...slots]);
  const r = memoryReport(plan, (n) => n.endsWith('.m'));
  const bytes = (vs: { size: number }[]): number => vs.reduce((s, v) => s + 4 * v.size, 0);
  const base = [...m.g.params.values()].filter((p) => !p.name.includes('.lora_'));
  assert.equal(r.trainable, bytes(wrt));
  assert.equal(r.optimizer, bytes(slots));
  assert.equal(r.frozen, bytes(base));
  assert.equal(r.transient, plan.plannedBytes);
  assert.equal(r.total, r.trainable + r.frozen + r.optimizer + r.io + r.transient);
  assert.match(formatMemory(r), /^total [\d.]+ MiB \(weights [\d.]+: trainable/);
});
