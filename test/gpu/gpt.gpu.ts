// The mini GPT on the GPU: one step's loss and every parameter gradient against the float64
// reference of the whole model, the first 10 AdamW steps' losses against the reference, KV-cache
// decoding against full recomputation, the kv_cache kernel against its reference, a save → load
// (Hugging Face GPT-2 files) that continues training exactly, and a short run on the built-in
// stories that learns.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical } from '../harness/assert';
import { relErr } from '../harness/fd';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Executor } from '../../src/graph/executor';
import { StepScalars } from '../../src/ops/optimizer';
import { Recorder } from '../../src/gpu/recorder';
import { tensorFrom } from '../../src/gpu/tensor';
import { kvCacheForward, kvCacheStore } from '../../src/ops/kv_cache';
import * as kvRef from '../../src/reference/kv_cache';
import { Rng, randomArray } from '../../src/util/prng';
import { buildGpt, type GptConfig } from '../../src/models/gpt/graph';
import { GptModel, type GptOptimOptions } from '../../src/models/gpt/model';
import { GptInference } from '../../src/models/gpt/inference';
import { randomBatch } from '../../src/models/gpt/data';
import { trainGpt, saveRun } from '../../src/models/gpt/train';
import { generateStories } from '../../src/text/stories';

const TINY: GptConfig = { vocabSize: 13, block: 8, layers: 2, heads: 2, embd: 8, dropout: 0, bias: true };
const B = 2;

function ids(n: number, seed: number, V = TINY.vocabSize): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
}

test('gpt: one step’s loss and every parameter gradient match the float64 reference of the whole model', async ({
  ctx,
}) => {
  const m = buildGpt(TINY, B, TINY.block, { seed: 3 });
  const params = m.g.trainable();
  const grads = gradients(m.g, m.loss!, params);
  const ex = await Executor.compile(ctx, m.g, { outputs: [m.loss!, ...grads] });
  const feeds = { ids: ids(B * TINY.block, 1), targets: ids(B * TINY.block, 2) };
  ex.write('ids', feeds.ids);
  ex.write('targets', feeds.targets);
  const got = await ex.step({ read: [m.loss!, ...grads] });
  const env = evaluate(m.g, [m.loss!, ...grads], feeds);
  assertClose(got[0]!, env.get(m.loss!)!, { atol: 0, rtol: 1e-5 }, 'loss');
  // global gradient norm: the scale for gradients that are zero in exact arithmetic (the key
  // biases: softmax is invariant to adding q·b_k to every score of a row)
  const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
  const G = Math.sqrt(params.reduce((s, _, i) => s + norm(env.get(grads[i]!)!) ** 2, 0));
  params.forEach((p, i) => {
    const want = env.get(grads[i]!)!;
    if (norm(want) < 1e-6 * G) {
      assert(
        norm(got[i + 1]!) <= 1e-6 * G,
        `d ${p.name} is zero in float64 but ${norm(got[i + 1]!).toExponential(3)} here (global norm ${G.toExponential(3)})`,
      );
      return;
    }
    const e = relErr(got[i + 1]!, want);
    assert(e <= 1e-4, `d ${p.name}: relative error ${e.toExponential(3)} > 1e-4`);
  });
  assert(params.length === 4 + TINY.layers * 16, `${params.length} parameters`);
  ex.destroy();
});

const OPTIM: GptOptimOptions = { batch: B, lr: 3e-2, warmup: 3, decaySteps: 10, seed: 3 };

test('gpt: the first 10 AdamW steps (warmup + cosine, clip 1, decay on 2-D weights) match the float64 reference', async ({
  ctx,
}) => {
  const model = await GptModel.create(ctx, TINY, OPTIM);
  const g = model.trainer.graph;
  let ref: Record<string, Float64Array> = {};
  for (const p of g.params.values()) ref[p.name] = Float64Array.from((p.node.attrs as { init: Float32Array }).init);
  const data = ids(400, 5);
  const rng = new Rng(9);
  const got: number[] = [];
  const want: number[] = [];
  for (let t = 1; t <= 10; t++) {
    const b = randomBatch(data, B, TINY.block, rng);
    const lr = model.trainer.lr;
    got.push((await model.trainStep(b, true))!);
    const sc = StepScalars.values(lr, t, 0.9, 0.95);
    const env = evaluate(g, [model.trainer.loss], { ids: b.ids, targets: b.targets, 'optimizer.scalars': sc }, ref);
    want.push(env.get(model.trainer.loss)![0]!);
    const next: Record<string, Float64Array> = {};
    for (const p of g.params.values()) next[p.name] = env.get(p)!;
    ref = next;
  }
  assertClose(got, want, { atol: 1e-5, rtol: 1e-4 }, 'losses of steps 1-10');
  assert(want[9]! < want[0]!, `the reference loss falls: ${want.join(', ')}`);
  model.destroy();
});

test('kv_cache: the cache view and the in-place store match the reference (odd sizes)', async ({ ctx }) => {
  const [Bc, H, T, d] = [3, 5, 7, 12];
  const cache = randomArray(Bc * H * T * d, 1);
  const row = randomArray(Bc * H * d, 2);
  for (const p of [0, 4, 6]) {
    const rec = new Recorder(ctx);
    const c = tensorFrom(ctx, cache, [Bc, H, T, d]);
    const r = tensorFrom(ctx, row, [Bc, H, 1, d]);
    const pos = tensorFrom(ctx, Int32Array.of(p), [1], 'i32');
    const out = await kvCacheForward(rec, c, r, pos);
    await kvCacheStore(rec, c, r, pos);
    rec.submit();
    const want = kvRef.kvCacheForward(cache, row, p, Bc * H, T, d);
    assertClose(await out.read(), want, { atol: 0, rtol: 0 }, `kv_cache p=${p}`);
    assertClose(
      await c.read(),
      kvRef.kvCacheStore(cache, row, p, Bc * H, T, d),
      { atol: 0, rtol: 0 },
      `kv_cache_store p=${p}`,
    );
    for (const t of [c, r, pos, out]) t.release();
  }
});

/** A model with larger random weights, so logits differ clearly between positions. */
async function randomModel(ctx: Parameters<typeof GptModel.create>[0], cfg: GptConfig): Promise<GptModel> {
  const model = await GptModel.create(ctx, cfg, OPTIM);
  let s = 100;
  for (const p of model.trainer.params) model.trainer.executor.write(p.name, randomArray(p.size, s++, -0.4, 0.4));
  return model;
}

test('gpt: KV-cache decoding gives the logits of recomputing the whole sequence', async ({ ctx }) => {
  const model = await randomModel(ctx, TINY);
  const seq = Array.from(ids(TINY.block, 11));
  for (let p = 0; p < seq.length; p++) {
    const inc = await model.decodeStep(seq[p]!, p);
    const [full] = await model.nextLogits([seq.slice(0, p + 1)]);
    assertClose(inc, full!, { atol: 2e-5, rtol: 1e-4 }, `logits at position ${p}`);
  }
  // generation with and without the cache picks the same greedy tokens
  const a = await model.generate([1, 2], { tokens: 5, temperature: 0 });
  const b = await model.generate([1, 2], { tokens: 5, temperature: 0, kvCache: false });
  assertIdentical(a, b, 'greedy tokens with and without the KV cache');
  const beam1 = await model.generate([1, 2], { tokens: 5, beam: 1 });
  assertIdentical(beam1, b, 'beam width 1 = greedy');
  model.destroy();
});

test('gpt: save (Hugging Face GPT-2 files) → load continues training exactly', async ({ ctx }) => {
  const data = ids(400, 5);
  const batches = Array.from({ length: 6 }, (_, i) => randomBatch(data, B, TINY.block, new Rng(50 + i)));
  const a = await GptModel.create(ctx, TINY, OPTIM);
  const straight: number[] = [];
  for (const b of batches) straight.push((await a.trainStep(b, true))!);
  a.destroy();

  const b1 = await GptModel.create(ctx, TINY, OPTIM);
  for (const b of batches.slice(0, 3)) await b1.trainStep(b);
  const files = await b1.save({ cursor: 3 });
  b1.destroy();
  const cfg = JSON.parse(new TextDecoder().decode(files['config.json']!)) as Record<string, unknown>;
  assert(
    cfg['model_type'] === 'gpt2' && cfg['n_embd'] === 8 && cfg['tie_word_embeddings'] === true,
    `config.json ${JSON.stringify(cfg).slice(0, 200)}`,
  );

  const c = await GptModel.create(ctx, TINY, { ...OPTIM, seed: 99 });
  const prog = c.load(files);
  assert(prog.step === 3 && prog['cursor'] === 3, `progress ${JSON.stringify(prog)}`);
  const resumed: number[] = [];
  for (const b of batches.slice(3)) resumed.push((await c.trainStep(b, true))!);
  c.destroy();
  assertIdentical(resumed, straight.slice(3), 'losses of steps 4-6 after save → load');
});

test('gpt: a checkpoint written during a run (checkpointEvery) resumes to the same weights and AdamW state as the straight run', async ({
  ctx,
}) => {
  const text = generateStories({ seed: 3, targetChars: 8_000 }).text;
  const o = {
    text,
    tokenizer: 'char' as const,
    layers: 1,
    heads: 2,
    embd: 8,
    block: 16,
    batch: 3,
    steps: 6,
    lr: 1e-2,
    dropout: 0.1,
    seed: 4,
    warmup: 2,
    evalEvery: 3,
    evalIters: 1,
    sampleTokens: 4,
  };
  const saved: { step: number; files: Record<string, Uint8Array> }[] = [];
  const straight = await trainGpt(ctx, { ...o, checkpointEvery: 2, onCheckpoint: (c) => void saved.push(c) });
  const end = await saveRun(straight);
  straight.model.destroy();
  assert(
    saved.map((c) => c.step).join(',') === '2,4',
    `checkpoints at steps ${saved.map((c) => c.step).join(',')} (every 2, not at the last step 6)`,
  );
  const resumed = await trainGpt(ctx, { ...o, resume: saved[0]!.files });
  const again = await saveRun(resumed);
  resumed.model.destroy();
  assert(resumed.metrics.steps_this_run === 4, `resumed from step 2: ran ${resumed.metrics.steps_this_run} steps`);
  for (const f of ['model.safetensors', 'optimizer.safetensors'])
    assertIdentical(
      Array.from(again[f]!),
      Array.from(end[f]!),
      `${f} after resuming the step-2 checkpoint vs the straight run`,
    );
});

test('gpt: a short run on the built-in stories lowers validation loss well below the unigram baseline', async ({
  ctx,
}) => {
  const text = generateStories({ seed: 1, targetChars: 60_000 }).text;
  const run = await trainGpt(ctx, {
    text,
    tokenizer: 'char',
    layers: 2,
    heads: 2,
    embd: 64,
    block: 32,
    batch: 8,
    steps: 100,
    lr: 1e-2,
    dropout: 0,
    seed: 1,
    warmup: 10,
    evalEvery: 100,
    evalIters: 4,
    sampleTokens: 20,
  });
  const m = run.metrics;
  run.model.destroy();
  const baseline = m['unigram_baseline'] as number;
  assert(
    m.val_loss < baseline - 0.5,
    `val loss ${m.val_loss.toFixed(3)} is not well below the unigram baseline ${baseline.toFixed(3)} (100 steps)`,
  );
  assert(m.sample.length > 0, 'a sample was generated');
});

test('gpt: GptInference.open (no trainer: the decoding graph owns the weights) decodes as the trained model does', async ({
  ctx,
}) => {
  const model = await randomModel(ctx, TINY);
  const inf = await GptInference.open(ctx, TINY, { seed: 3 });
  try {
    const params: Record<string, { data: Float32Array }> = {};
    for (const p of model.trainer.params)
      params[p.name] = { data: (await model.trainer.executor.read(p)) as Float32Array };
    inf.loadWeights(params);
    const seq = Array.from(ids(TINY.block, 12));
    for (let p = 0; p < seq.length; p++)
      assertIdentical(await inf.decodeStep(seq[p]!, p), await model.decodeStep(seq[p]!, p), `decode ${p}`);
    const [full] = await inf.nextLogits([seq]);
    assertIdentical(full!, (await model.nextLogits([seq]))[0]!, 'whole-sequence logits on the borrowed weights');
    const mem = inf.memory!;
    assert(mem.optimizer === 0 && mem.trainable + mem.frozen > 0, `memory ${JSON.stringify(mem)}`);
    assert(
      model.memory.optimizer === 2 * model.memory.trainable,
      `AdamW keeps m and v: ${JSON.stringify(model.memory)}`,
    );
  } finally {
    inf.destroy();
    model.destroy();
  }
});
