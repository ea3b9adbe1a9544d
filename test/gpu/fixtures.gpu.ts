// Our GPT and BERT against fixtures that transformers itself wrote (scripts/compare/hf_fixtures.py;
// STYLE.md habit 16, as llm.c's test_gpt2.c against PyTorch's dump). Each fixture holds a tiny
// GPT2LMHeadModel / BertForPreTraining's parameters under transformers' names, fixed inputs, the
// logits, the loss and d loss / d parameter for every parameter. We load the parameters through
// our Hugging Face import (the same code that reads a checkpoint folder), run our forward and
// backward on the GPU on the same inputs, map our gradients back to transformers' names and
// layouts with our export, and compare tensor by tensor.
//
// Tolerances (float32 on both sides, different summation orders): |ours − theirs| ≤ atol +
// rtol·|theirs| elementwise, atol 1e-5, rtol 1e-4, for the logits, the loss and every gradient.
// The logits are O(1) and the gradients up to O(0.5), so atol 1e-5 is far below any real
// difference; it covers the gradients that are 0 in exact arithmetic (the key biases: softmax
// does not change when the same q·b_k is added to every score of a row; transformers has them
// at ~1e-9).
//
// What differs from transformers and how it is handled:
// * GPT-2's loss shifts the labels inside the model (logits[:, :-1] against labels[:, 1:]); ours
//   takes next-token targets, so we pass labels[t + 1] at position t and the ignore index at the
//   last position of each row: the same mean over B·(T − 1) tokens.
// * transformers' BERT takes an attention mask; ours takes a length per row (right padding), so
//   the fixture's mask must be a prefix of ones (checked) and kv_len is its row sum.
// * BERT's word embedding has padding_idx = pad_token_id: transformers drops the lookup gradient
//   of that row, we do not. The padded positions reach no loss (their MLM labels are -100, they
//   are masked as keys, NSP reads [CLS]), so that lookup gradient is exactly 0 in both and the
//   whole word-embedding gradient (lookup + tied decoder) is compared.
// * the decoders are tied in both (GPT-2 lm_head = wte; BERT cls.predictions.decoder = word
//   embeddings + cls.predictions.bias): the fixture lists each tied tensor once, as
//   named_parameters() does, and its gradient is the sum over both uses, as ours.
import { test } from '../harness/gpu';
import { AssertionError, assert, assertClose, compare, type Tolerance } from '../harness/assert';
import gpt2Url from '../fixtures/gpt2_tiny.safetensors?url';
import bertUrl from '../fixtures/bert_tiny.safetensors?url';
import {
  Executor,
  bert,
  gpt,
  graph,
  io,
  type GpuContext,
  type Graph,
  type HostArray,
  type Value,
} from '../../src/index';

const TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };

interface Tensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

interface Fixture {
  tensors: Map<string, Tensor>;
  meta: Record<string, string>;
  config: Record<string, unknown>;
  /** transformers' parameter names: those with a grad.<name> tensor. */
  paramNames: string[];
}

async function loadFixture(url: string): Promise<Fixture> {
  const res = await fetch(url);
  assert(res.ok, `fetch ${url}: HTTP ${res.status}`);
  const { tensors: raw, metadata } = io.loadSafetensors(new Uint8Array(await res.arrayBuffer()));
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of raw) {
    assert(
      t.data instanceof Float32Array || t.data instanceof Int32Array,
      `${url}: ${name} is ${t.dtype}, expected F32 or I32`,
    );
    tensors.set(name, { shape: t.shape, data: t.data });
  }
  const paramNames = [...tensors.keys()].filter((n) => tensors.has(`grad.${n}`)).sort();
  assert(
    paramNames.length > 0 && metadata['config'] !== undefined,
    `${url}: no parameters or no config in the fixture`,
  );
  return { tensors, meta: metadata, config: JSON.parse(metadata['config']!) as Record<string, unknown>, paramNames };
}

function get(fx: Fixture, name: string): Tensor {
  const t = fx.tensors.get(name);
  assert(t !== undefined, `the fixture has no tensor "${name}"`);
  return t;
}

function f32(fx: Fixture, name: string): { shape: number[]; data: Float32Array } {
  const t = get(fx, name);
  assert(t.data instanceof Float32Array, `fixture tensor "${name}" is not F32`);
  return { shape: t.shape, data: t.data };
}

function i32(fx: Fixture, name: string): Int32Array {
  const t = get(fx, name);
  assert(t.data instanceof Int32Array, `fixture tensor "${name}" is not I32`);
  return t.data;
}

/** The fixture's parameters (transformers' names and layouts). */
function hfParams(fx: Fixture): Record<string, { shape: number[]; data: Float32Array }> {
  return Object.fromEntries(fx.paramNames.map((n) => [n, f32(fx, n)]));
}

/** Compile forward + backward of `loss` over every trainable parameter, load `params` (ours), write `inputs`, run one step. */
async function runOnce(
  ctx: GpuContext,
  g: Graph,
  loss: Value,
  outs: Value[],
  params: Record<string, { data: Float32Array }>,
  inputs: Record<string, Int32Array>,
): Promise<{ loss: HostArray; outs: HostArray[]; grads: Record<string, { shape: number[]; data: Float32Array }> }> {
  const trainable = g.trainable();
  const names = trainable.map((p) => p.name);
  const missing = names.filter((n) => !params[n]);
  const extra = Object.keys(params).filter((n) => !names.includes(n));
  assert(
    !missing.length && !extra.length,
    `our import of the fixture: parameters missing ${JSON.stringify(missing)}, unused ${JSON.stringify(extra)}`,
  );
  const grads = graph.gradients(g, loss, trainable);
  const ex = await Executor.compile(ctx, g, { outputs: [loss, ...outs, ...grads] });
  let got: HostArray[];
  try {
    for (const p of trainable) ex.write(p.name, params[p.name]!.data);
    for (const [n, v] of Object.entries(inputs)) ex.write(n, v);
    got = await ex.step({ read: [loss, ...outs, ...grads] });
  } finally {
    ex.destroy();
  }
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  trainable.forEach((p, i) => (out[p.name] = { shape: [...p.shape], data: got[1 + outs.length + i] as Float32Array }));
  return { loss: got[0]!, outs: got.slice(1, 1 + outs.length), grads: out };
}

/**
 * Compare every gradient (transformers' names) with the fixture's grad.<name>; all tensors are
 * checked before failing, and the failure names each one outside the tolerance with its errors.
 */
function compareGrads(
  fx: Fixture,
  ours: Record<string, { shape: readonly number[]; data: Float32Array }>,
): { maxAbs: number; maxRel: number; worst: string } {
  const names = Object.keys(ours).sort();
  assert(
    names.join() === fx.paramNames.join(),
    `gradients: ours are ${names.join(', ')}; the fixture has ${fx.paramNames.join(', ')}`,
  );
  let maxAbs = 0;
  let maxRel = 0;
  let worst = '';
  const bad: string[] = [];
  for (const n of names) {
    const want = f32(fx, `grad.${n}`);
    const got = ours[n]!;
    assert(
      got.shape.join() === want.shape.join(),
      `grad.${n}: shape [${got.shape.join(', ')}], the fixture [${want.shape.join(', ')}]`,
    );
    const r = compare(got.data, want.data, TOL);
    if (r.mismatches) {
      const at = r.first.map((i) => `[${i}] ${got.data[i]} vs ${want.data[i]}`).join('; ');
      bad.push(
        `grad.${n}: ${r.mismatches}/${want.data.length} outside, max abs ${r.maxAbs.toExponential(3)}, max rel ${r.maxRel.toExponential(3)}; first ${at}`,
      );
    }
    if (r.maxAbs > maxAbs) [maxAbs, worst] = [r.maxAbs, n];
    maxRel = Math.max(maxRel, r.maxRel);
  }
  if (bad.length)
    throw new AssertionError(
      `${bad.length} of ${names.length} gradients outside atol=${TOL.atol} rtol=${TOL.rtol}:\n${bad.join('\n')}`,
    );
  return { maxAbs, maxRel, worst };
}

/** The max errors seen, as one console line (test/gpu.test.ts echoes the page's console under SHADERGRAD_DEBUG). */
function summary(
  what: string,
  parts: Record<string, { maxAbs: number; maxRel: number }>,
  grads: { maxAbs: number; maxRel: number; worst: string },
  n: number,
): void {
  const fmt = (r: { maxAbs: number; maxRel: number }): string =>
    `max abs ${r.maxAbs.toExponential(2)}, max rel ${r.maxRel.toExponential(2)}`;
  console.log(
    `${what}: ${Object.entries(parts)
      .map(([k, r]) => `${k} ${fmt(r)}`)
      .join('; ')}; ${n} gradients ${fmt(grads)} (largest abs in grad.${grads.worst})`,
  );
}

test('fixtures: our GPT reproduces transformers’ GPT2LMHeadModel (logits, loss, every gradient)', async ({ ctx }) => {
  const fx = await loadFixture(gpt2Url);
  const cfg = gpt.configFromGpt2(fx.config);
  const [B, T] = get(fx, 'input_ids').shape as [number, number];
  const ids = i32(fx, 'input_ids');
  const labels = i32(fx, 'labels');
  // transformers' shift: position t predicts labels[t + 1]; the last position of a row predicts nothing
  const targets = Int32Array.from({ length: B * T }, (_, i) =>
    i % T === T - 1 || labels[i + 1] === -100 ? -1 : labels[i + 1]!,
  );
  const m = gpt.buildGpt(cfg, B, T, { dropout: false });
  const r = await runOnce(ctx, m.g, m.loss!, [m.logits], gpt.fromHf(hfParams(fx), cfg), { ids, targets });
  const loss = assertClose(r.loss, f32(fx, 'loss').data, TOL, 'loss');
  const logits = assertClose(r.outs[0]!, f32(fx, 'logits').data, TOL, 'logits (B·T, V)');
  const grads = compareGrads(fx, gpt.toHf(r.grads, cfg));
  summary(`gpt2 (transformers ${fx.meta['transformers']})`, { loss, logits }, grads, fx.paramNames.length);
});

test('fixtures: our BERT reproduces transformers’ BertForPreTraining (MLM + NSP logits, loss, every gradient)', async ({
  ctx,
}) => {
  const fx = await loadFixture(bertUrl);
  const cfg = bert.bertConfigFromHf(fx.config);
  const [B, T] = get(fx, 'input_ids').shape as [number, number];
  const mask = i32(fx, 'attention_mask');
  const kvLen = Int32Array.from({ length: B }, (_, b) => mask.subarray(b * T, b * T + T).reduce((s, v) => s + v, 0));
  for (let i = 0; i < B * T; i++)
    assert(
      mask[i] === (i % T < kvLen[Math.floor(i / T)]! ? 1 : 0),
      `attention_mask row ${Math.floor(i / T)} is not right padding (ours takes a length per row)`,
    );
  const p = bert.buildPretrainGraph(cfg, B, T);
  const inputs = {
    input_ids: i32(fx, 'input_ids'),
    token_type_ids: i32(fx, 'token_type_ids'),
    kv_len: kvLen,
    labels: i32(fx, 'labels'),
    next_sentence_label: i32(fx, 'next_sentence_label'),
  };
  const r = await runOnce(ctx, p.g, p.loss, [p.mlmLogits, p.nspLogits], bert.fromHf(hfParams(fx)), inputs);
  const loss = assertClose(r.loss, f32(fx, 'loss').data, TOL, 'loss (MLM + NSP)');
  const mlm = assertClose(r.outs[0]!, f32(fx, 'prediction_logits').data, TOL, 'prediction_logits (B·T, V)');
  const nsp = assertClose(r.outs[1]!, f32(fx, 'seq_relationship_logits').data, TOL, 'seq_relationship_logits (B, 2)');
  const grads = compareGrads(fx, bert.toHf(r.grads));
  summary(`bert (transformers ${fx.meta['transformers']})`, { loss, mlm, nsp }, grads, fx.paramNames.length);
});
