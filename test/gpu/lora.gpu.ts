// LoRA on the GPU (src/nn/lora.ts on the mini GPT): at step 0 the adapted model's logits are the
// base model's bit for bit; its adapter gradients match the float64 reference of the whole
// model; training moves only the adapters; merged and unmerged logits agree; the adapter files
// (PEFT's) save and load so that training continues exactly; an adapter PEFT itself saved
// (test/fixtures/peft_gpt2_lora, scripts/compare/peft_lora_fixture.py) gives PeftModel's logits.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical } from '../harness/assert';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Executor } from '../../src/graph/executor';
import { Rng, randomArray } from '../../src/util/prng';
import { buildGpt, type GptConfig } from '../../src/models/gpt/graph';
import { GptModel, type GptOptimOptions } from '../../src/models/gpt/model';
import { randomBatch } from '../../src/models/gpt/data';
import type { Params } from '../../src/models/gpt/hf';
import type { LoraConfig } from '../../src/nn/lora';
import { loadSafetensors } from '../../src/io/safetensors';
import { openGptFolder } from '../../src/models/gpt/folder';
import { readAdapterConfig } from '../../src/models/gpt/adapter';
import modelUrl from '../fixtures/hf_gpt2_f16/model.safetensors?url';
import configUrl from '../fixtures/hf_gpt2_f16/config.json?url';
import vocabUrl from '../fixtures/hf_gpt2_f16/vocab.json?url';
import mergesUrl from '../fixtures/hf_gpt2_f16/merges.txt?url';
import adapterConfigUrl from '../fixtures/peft_gpt2_lora/adapter_config.json?url';
import adapterModelUrl from '../fixtures/peft_gpt2_lora/adapter_model.safetensors?url';
import adapterExpectedUrl from '../fixtures/peft_gpt2_lora/expected.json?url';

const TINY: GptConfig = { vocabSize: 13, block: 8, layers: 2, heads: 2, embd: 8, dropout: 0, bias: true };
const LORA: LoraConfig = { r: 3, alpha: 6, dropout: 0, targets: ['c_attn', 'c_proj', 'c_fc'] };
const B = 2;
const OPTIM: GptOptimOptions = { batch: B, lr: 3e-2, warmup: 0, decaySteps: 10, seed: 3 };
type Ctx = Parameters<typeof GptModel.create>[0];

function ids(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(TINY.vocabSize));
}

/** Random base weights (every parameter of an un-adapted model), by our names. */
async function baseWeights(ctx: Ctx): Promise<Params> {
  const m = await GptModel.create(ctx, TINY, OPTIM);
  const out: Params = {};
  let s = 100;
  for (const p of m.trainer.params) {
    out[p.name] = { shape: [...p.shape], data: randomArray(p.size, s++, -0.4, 0.4) };
    m.trainer.executor.write(p.name, out[p.name]!.data);
  }
  m.destroy();
  return out;
}

async function loraModel(ctx: Ctx, base: Params, lora = LORA): Promise<GptModel> {
  const m = await GptModel.create(ctx, TINY, OPTIM, { lora });
  m.loadWeights(base);
  return m;
}

async function readAll(m: GptModel, names: string[]): Promise<Float32Array[]> {
  return Promise.all(names.map(async (n) => (await m.trainer.executor.readParam(n)) as Float32Array));
}

function sameArrays(got: Float32Array[], want: Float32Array[], names: string[]): void {
  got.forEach((g, i) => assertIdentical(g, want[i]!, names[i]!));
}

test('lora: at step 0 the adapted GPT gives the base model’s logits bit for bit (whole sequence and KV cache)', async ({
  ctx,
}) => {
  const w = await baseWeights(ctx);
  const base = await GptModel.create(ctx, TINY, OPTIM);
  base.loadWeights(w);
  const lora = await loraModel(ctx, w);
  try {
    const seqs = [Array.from(ids(5, 1)), Array.from(ids(8, 2))];
    for (const s of seqs) assertIdentical((await lora.nextLogits([s]))[0]!, (await base.nextLogits([s]))[0]!, 'logits');
    for (let p = 0; p < 4; p++)
      assertIdentical(await lora.decodeStep(seqs[1]![p]!, p), await base.decodeStep(seqs[1]![p]!, p), `decode ${p}`);
    const adapters = lora.trainer.params.reduce((n, p) => n + p.size, 0);
    assert(
      lora.trainableParams === adapters && lora.params === base.params + adapters,
      `trainable ${lora.trainableParams} of ${lora.params}`,
    );
    assert(
      lora.trainer.params.every((p) => p.name.includes('.lora_')),
      `only adapters train: ${lora.trainer.params.map((p) => p.name).join(', ')}`,
    );
  } finally {
    base.destroy();
    lora.destroy();
  }
});

test('lora: the adapters’ gradients (non-zero B) match the float64 reference of the whole model', async ({ ctx }) => {
  const m = buildGpt(TINY, B, TINY.block, { seed: 3, lora: LORA, dropout: false });
  const wrt = m.g.trainable();
  const grads = gradients(m.g, m.loss!, wrt);
  const ex = await Executor.compile(ctx, m.g, { outputs: [m.loss!, ...grads] });
  const params: Record<string, Float32Array> = {};
  let s = 7;
  for (const [name, p] of m.g.params) {
    // weights in [-1, 1] make the attention peaked enough that dq, dk are well above rounding
    params[name] = randomArray(p.size, s++, -1, 1);
    ex.write(name, params[name]);
  }
  const feeds = { ids: ids(B * TINY.block, 3), targets: ids(B * TINY.block, 4) };
  ex.write('ids', feeds.ids);
  ex.write('targets', feeds.targets);
  const got = await ex.step({ read: [m.loss!, ...grads] });
  const env = evaluate(m.g, [m.loss!, ...grads], feeds, params);
  assertClose(got[0]!, env.get(m.loss!)!, { atol: 0, rtol: 1e-5 }, 'loss');
  wrt.forEach((p, i) => {
    const want = env.get(grads[i]!)!;
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert(scale > 1e-4, `d loss / d ${p.name} is not trivially zero (max ${scale})`);
    assertClose(got[i + 1]!, want, { atol: 1e-4 * scale, rtol: 1e-3 }, `d loss / d ${p.name}`);
  });
  ex.destroy();
});

test('lora: training moves only the adapters and lowers the loss; merged and unmerged logits agree', async ({
  ctx,
}) => {
  const w = await baseWeights(ctx);
  const m = await loraModel(ctx, w, { ...LORA, dropout: 0.1 });
  try {
    const frozen = Object.keys(w);
    const before = await readAll(m, frozen);
    const batch = randomBatch(ids(300, 5), B, TINY.block, new Rng(8));
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await m.trainStep(batch, true))!);
    assert(losses[7]! < losses[0]! - 0.05, `loss ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
    sameArrays(
      await readAll(m, frozen),
      before,
      frozen.map((n) => `${n} after 8 LoRA steps`),
    );
    const bNames = m.adapters.flatMap((a) => a.names.slice(1));
    assert(
      (await readAll(m, bNames)).every((b) => b.some((v) => v !== 0)),
      'every B has moved from zero',
    );
    const seq = Array.from(ids(8, 9));
    const [unmerged] = await m.nextLogits([seq]);
    await m.mergeAdapters();
    const [merged] = await m.nextLogits([seq]);
    assertClose(merged!, unmerged!, { atol: 1e-5, rtol: 1e-4 }, 'merged vs unmerged logits');
    assert(
      (await readAll(m, bNames)).every((b) => b.every((v) => v === 0)),
      'B is zero after merging',
    );
    const changed = (await readAll(m, ['transformer.h.0.attn.query.weight']))[0]!;
    assert(
      changed.some((v, i) => v !== w['transformer.h.0.attn.query.weight']!.data[i]),
      'merging changed the base weight',
    );
  } finally {
    m.destroy();
  }
});

test('lora: save (PEFT adapter files) → load continues training exactly', async ({ ctx }) => {
  const w = await baseWeights(ctx);
  const data = ids(400, 6);
  const batches = Array.from({ length: 6 }, (_, i) => randomBatch(data, B, TINY.block, new Rng(60 + i)));
  const a = await loraModel(ctx, w);
  const straight: number[] = [];
  for (const b of batches) straight.push((await a.trainStep(b, true))!);
  a.destroy();

  const b1 = await loraModel(ctx, w);
  for (const b of batches.slice(0, 3)) await b1.trainStep(b);
  const files = await b1.save({ cursor: 3 });
  b1.destroy();
  assert(!files['model.safetensors'], 'a LoRA checkpoint does not copy the frozen model');
  const cfg = JSON.parse(new TextDecoder().decode(files['adapter_config.json']!)) as Record<string, unknown>;
  assert(cfg['peft_type'] === 'LORA' && cfg['r'] === 3 && cfg['lora_alpha'] === 6, JSON.stringify(cfg));
  const names = [...loadSafetensors(files['adapter_model.safetensors']!).tensors.keys()];
  assert(
    names.includes('base_model.model.transformer.h.1.attn.c_attn.lora_B.weight') && names.length === 16,
    names.join(', '),
  );

  const c = await loraModel(ctx, w);
  const prog = c.load(files);
  assert(prog.step === 3 && prog['cursor'] === 3, `progress ${JSON.stringify(prog)}`);
  const resumed: number[] = [];
  for (const b of batches.slice(3)) resumed.push((await c.trainStep(b, true))!);
  c.destroy();
  assertIdentical(resumed, straight.slice(3), 'losses of steps 4-6 after save → load');
});

async function bytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

test('lora: an adapter PEFT saved (on a transformers GPT-2 folder) gives PeftModel’s logits within 1e-4', async ({
  ctx,
}) => {
  const folder = openGptFolder({
    'model.safetensors': await bytes(modelUrl),
    'config.json': await bytes(configUrl),
    'vocab.json': await bytes(vocabUrl),
    'merges.txt': await bytes(mergesUrl),
  });
  const adapter = {
    'adapter_config.json': await bytes(adapterConfigUrl),
    'adapter_model.safetensors': await bytes(adapterModelUrl),
  };
  const want = JSON.parse(new TextDecoder().decode(await bytes(adapterExpectedUrl))) as {
    ids: number[];
    logits: number[][];
  };
  const lora = readAdapterConfig(adapter);
  assert(lora.r === 4 && lora.alpha === 12 && lora.targets.length === 3, JSON.stringify(lora));
  const m = await GptModel.create(ctx, folder.config, { batch: 1, lr: 0, warmup: 0, decaySteps: 1, seed: 1 }, { lora });
  try {
    m.loadWeights(folder.params);
    m.loadAdapter(adapter);
    for (let t = 1; t <= want.ids.length; t++) {
      const [got] = await m.nextLogits([want.ids.slice(0, t)]);
      assertClose(
        got!,
        Float32Array.from(want.logits[t - 1]!),
        { atol: 1e-4, rtol: 1e-4 },
        `logits at position ${t - 1}`,
      );
    }
  } finally {
    m.destroy();
  }
});
