// optimizer updates against their float64 references over several steps with a changing
// learning rate: Adam / AdamW / SGD (momentum, Nesterov, plain), weight decay on and off, a GPU
// gradient scale, NaN gradients, a replayed bound dispatch that creates no GPU objects, and
// shape errors raised before any dispatch.
import { test } from '../harness/gpu';
import { assert, assertClose } from '../harness/assert';
import { upload } from '../harness/util';
import type { GpuContext } from '../../src/gpu/device';
import { Recorder, bindDispatch } from '../../src/gpu/recorder';
import { writeTensor, type Tensor } from '../../src/gpu/tensor';
import {
  adamStep,
  adamStepDispatch,
  sgdStep,
  StepScalars,
  type AdamOptions,
  type SgdOptions,
} from '../../src/ops/optimizer';
import * as ref from '../../src/reference/optimizer';
import { randomArray } from '../../src/util/prng';
import { numel } from '../../src/util/shape';

// Tolerances from f32 rounding over 5 steps. p (|p| ≤ 2): two roundings per step at half an ulp
// of 2 (1.2e-7) bound the absolute error by 1.2e-6 (seen: 7e-7), hence atol 2e-6; rtol 1e-5
// covers the normalised Adam step's relative error (~1e-6 of lr per step). m (|m| ≤ 0.5, a
// sum of signed terms that can cancel): two roundings per step at 3e-8 (seen 7e-8). v has no
// cancellation (seen relative 3e-7). The SGD momentum buffer (|buf| ≤ ~4): a few ulps of 4.
const TOL_P = { atol: 2e-6, rtol: 1e-5 };
const TOL_M = { atol: 3e-7, rtol: 1e-5 };
const TOL_V = { atol: 1e-10, rtol: 1e-5 };
const TOL_BUF = { atol: 2e-6, rtol: 1e-5 };
const STEPS = 5;
const lrAt =
  (base: number) =>
  (t: number): number =>
    base * (1 - 0.15 * (t - 1)); // a decaying schedule
const SHAPES = [[1], [7], [1023], [45, 65]];

function makeGrads(n: number, seed: number, nanAt?: [step: number, index: number]): Float32Array[] {
  const gs = Array.from({ length: STEPS }, (_, k) => randomArray(n, seed + 100 * k, -1, 1));
  if (nanAt && nanAt[1] < n) gs[nanAt[0] - 1]![nanAt[1]] = Number.NaN;
  return gs;
}

/** Run STEPS optimizer steps on the GPU, one submit per step (lr and t rewritten each time). */
async function runSteps(
  ctx: GpuContext,
  shape: number[],
  p0: Float32Array,
  grads: Float32Array[],
  lr: (t: number) => number,
  state: string[],
  record: (rec: Recorder, p: Tensor, g: Tensor, st: Tensor[], sc: StepScalars) => Promise<void>,
  betas: [number, number] = [0.9, 0.999],
): Promise<Record<string, Float32Array>> {
  const n = numel(shape);
  const p = upload(ctx, p0, shape, 'f32', 'param');
  const g = upload(ctx, new Float32Array(n), shape, 'f32', 'grad');
  const st = state.map((name) => upload(ctx, new Float32Array(n), shape, 'f32', name));
  const sc = new StepScalars(ctx, betas[0], betas[1]);
  for (let t = 1; t <= grads.length; t++) {
    sc.set(lr(t), t);
    writeTensor(g, grads[t - 1]!);
    const rec = new Recorder(ctx, { label: `step ${t}` });
    await record(rec, p, g, st, sc);
    rec.submit();
  }
  const out: Record<string, Float32Array> = { p: (await p.read()) as Float32Array };
  for (let i = 0; i < st.length; i++) out[state[i]!] = (await st[i]!.read()) as Float32Array;
  for (const t of [p, g, ...st]) t.release();
  sc.release();
  return out;
}

const ADAM_CASES: [string, AdamOptions][] = [
  ['AdamW wd=0.1', { weightDecay: 0.1 }],
  ['Adam L2 wd=0.1', { weightDecay: 0.1, decoupled: false }],
  ['Adam wd=0', { weightDecay: 0, decoupled: false, beta1: 0.8, beta2: 0.99, eps: 1e-6 }],
];

for (const shape of SHAPES) {
  test(`optimizer adam matches the reference over ${STEPS} steps (shape ${shape.join('x')})`, async ({ ctx }) => {
    const n = numel(shape);
    for (const [name, o] of ADAM_CASES) {
      const p0 = randomArray(n, 1 + n, -2, 2);
      const grads = makeGrads(n, 2 + n);
      const cfg: ref.AdamConfig = {
        beta1: o.beta1 ?? 0.9,
        beta2: o.beta2 ?? 0.999,
        eps: o.eps ?? 1e-8,
        weightDecay: o.weightDecay ?? 0,
        decoupled: o.decoupled ?? true,
      };
      const got = await runSteps(
        ctx,
        shape,
        p0,
        grads,
        lrAt(0.05),
        ['m', 'v'],
        (rec, p, g, [m, v], sc) => adamStep(rec, p, g, m!, v!, sc, o),
        [cfg.beta1, cfg.beta2],
      );
      const want = ref.adamSteps(p0, grads, cfg, lrAt(0.05));
      assertClose(got.p!, want.p, TOL_P, `${name} p`);
      assertClose(got.m!, want.m, TOL_M, `${name} m`);
      assertClose(got.v!, want.v, TOL_V, `${name} v`);
    }
  });
}

const SGD_CASES: [string, SgdOptions][] = [
  ['momentum 0.9 dampening 0.1 wd 0.01', { momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ['nesterov 0.9 wd 0', { momentum: 0.9, nesterov: true }],
  ['plain wd 0.01', { weightDecay: 0.01 }],
];

for (const shape of SHAPES) {
  test(`optimizer sgd matches the reference over ${STEPS} steps (shape ${shape.join('x')})`, async ({ ctx }) => {
    const n = numel(shape);
    for (const [name, o] of SGD_CASES) {
      const p0 = randomArray(n, 3 + n, -2, 2);
      const grads = makeGrads(n, 4 + n);
      const cfg: ref.SgdConfig = {
        momentum: o.momentum ?? 0,
        dampening: o.dampening ?? 0,
        nesterov: o.nesterov ?? false,
        weightDecay: o.weightDecay ?? 0,
      };
      const state = cfg.momentum ? ['buf'] : [];
      const got = await runSteps(ctx, shape, p0, grads, lrAt(0.1), state, (rec, p, g, st, sc) =>
        sgdStep(rec, p, g, st[0] ?? null, sc, o),
      );
      const want = ref.sgdSteps(p0, grads, cfg, lrAt(0.1));
      assertClose(got.p!, want.p, TOL_P, `${name} p`);
      if (cfg.momentum) assertClose(got.buf!, want.buf, TOL_BUF, `${name} buf`);
    }
  });
}

test('optimizer gradient scale is read from a GPU tensor (adamw, sgd nesterov)', async ({ ctx }) => {
  const shape = [45, 65];
  const n = numel(shape);
  const p0 = randomArray(n, 5, -2, 2);
  const grads = makeGrads(n, 6);
  const gradScale = upload(ctx, [0.37], [1], 'f32', 'clip_factor');
  const aw = { weightDecay: 0.1, gradScale };
  const got = await runSteps(ctx, shape, p0, grads, lrAt(0.05), ['m', 'v'], (rec, p, g, [m, v], sc) =>
    adamStep(rec, p, g, m!, v!, sc, aw),
  );
  const want = ref.adamSteps(
    p0,
    grads,
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true },
    lrAt(0.05),
    Math.fround(0.37),
  );
  assertClose(got.p!, want.p, TOL_P, 'adamw p');
  assertClose(got.m!, want.m, TOL_M, 'adamw m');
  const so: SgdOptions = { momentum: 0.9, nesterov: true, weightDecay: 0.01, gradScale };
  const gs = await runSteps(ctx, shape, p0, grads, lrAt(0.1), ['buf'], (rec, p, g, [b], sc) =>
    sgdStep(rec, p, g, b!, sc, so),
  );
  const ws = ref.sgdSteps(
    p0,
    grads,
    { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 },
    lrAt(0.1),
    Math.fround(0.37),
  );
  assertClose(gs.p!, ws.p, TOL_P, 'sgd p');
  gradScale.release();
});

test('optimizer NaN in a gradient reaches only that parameter and its state', async ({ ctx }) => {
  const n = 7;
  const p0 = randomArray(n, 8, -2, 2);
  const grads = makeGrads(n, 9, [2, 3]); // step 2, element 3
  const got = await runSteps(ctx, [n], p0, grads, lrAt(0.05), ['m', 'v'], (rec, p, g, [m, v], sc) =>
    adamStep(rec, p, g, m!, v!, sc, { weightDecay: 0.1 }),
  );
  const want = ref.adamSteps(
    p0,
    grads,
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true },
    lrAt(0.05),
  );
  for (const k of ['p', 'm', 'v'] as const) {
    assert(Number.isNaN(got[k]![3]!), `adamw ${k}[3] is ${got[k]![3]}, want NaN`);
    assertClose(got[k]!, want[k], k === 'p' ? TOL_P : k === 'm' ? TOL_M : TOL_V, `adamw ${k} (NaN only at 3)`);
  }
  const gs = await runSteps(ctx, [n], p0, grads, lrAt(0.1), ['buf'], (rec, p, g, [b], sc) =>
    sgdStep(rec, p, g, b!, sc, { momentum: 0.9 }),
  );
  const ws = ref.sgdSteps(p0, grads, { momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }, lrAt(0.1));
  assert(Number.isNaN(gs.p![3]!) && Number.isNaN(gs.buf![3]!), 'sgd p[3] and buf[3] should be NaN');
  assertClose(gs.p!, ws.p, TOL_P, 'sgd p (NaN only at 3)');
});

test('optimizer step replays one bound dispatch with new lr and t, creating no GPU objects', async ({ ctx }) => {
  const n = 1023;
  const p0 = randomArray(n, 10, -2, 2);
  const grads = makeGrads(n, 11);
  const p = upload(ctx, p0, [n], 'f32', 'param');
  const g = upload(ctx, new Float32Array(n), [n], 'f32', 'grad');
  const m = upload(ctx, new Float32Array(n), [n], 'f32', 'm');
  const v = upload(ctx, new Float32Array(n), [n], 'f32', 'v');
  const sc = new StepScalars(ctx);
  const args = await adamStepDispatch(ctx, p, g, m, v, sc, { weightDecay: 0.05 });
  assert(args !== null, 'dispatch expected');
  const bound = bindDispatch(ctx, args);
  const before = { ...ctx.counters };
  for (let t = 1; t <= STEPS; t++) {
    sc.set(lrAt(0.05)(t), t);
    writeTensor(g, grads[t - 1]!);
    const rec = new Recorder(ctx, { label: `replay ${t}` });
    rec.encode(bound);
    rec.submit();
  }
  const after = { ...ctx.counters };
  assert(
    JSON.stringify(before) === JSON.stringify(after),
    `GPU objects created while replaying: ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
  );
  const want = ref.adamSteps(
    p0,
    grads,
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, decoupled: true },
    lrAt(0.05),
  );
  assertClose(await p.read(), want.p, TOL_P, 'replayed p');
  for (const t of [p, g, m, v]) t.release();
  sc.release();
  if (bound.uniformBuffer) ctx.pool.release(bound.uniformBuffer);
});

async function expectShapeError(what: string, fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let err: Error | null = null;
  try {
    await fn();
  } catch (e) {
    err = e as Error;
  }
  assert(err !== null, `${what}: expected an error`);
  assert(
    err.name === 'ShapeError' && pattern.test(err.message),
    `${what}: got ${err.name}: ${err.message}, want ShapeError matching ${pattern}`,
  );
}

test('optimizer rejects mismatched shapes and bad options before dispatch; empty params dispatch nothing', async ({
  ctx,
}) => {
  const f = (shape: number[], label: string, dtype: 'f32' | 'i32' = 'f32'): Tensor =>
    upload(ctx, new Array(numel(shape)).fill(0), shape, dtype, label);
  const p = f([4, 5], 'param');
  const g = f([4, 5], 'grad');
  const m = f([4, 5], 'm');
  const v = f([4, 5], 'v');
  const bad = f([5, 4], 'bad');
  const gi = f([4, 5], 'grad_i32', 'i32');
  const two = f([2], 'two');
  const sc = new StepScalars(ctx);
  const rec = new Recorder(ctx, { label: 'errors' });
  await expectShapeError(
    'grad shape',
    () => adamStep(rec, p, bad, m, v, sc),
    /adamw: grad has shape \[5, 4\], expected \[4, 5\]/,
  );
  await expectShapeError('m shape', () => adamStep(rec, p, g, bad, v, sc), /m has shape \[5, 4\]/);
  await expectShapeError(
    'v shape',
    () => adamStep(rec, p, g, m, bad, sc, { decoupled: false }),
    /adam: v has shape \[5, 4\]/,
  );
  await expectShapeError('grad dtype', () => adamStep(rec, p, gi, m, v, sc), /grad \[4, 5\] has dtype i32/);
  await expectShapeError('m aliases v', () => adamStep(rec, p, g, m, m, sc), /m and v are the same buffer/);
  await expectShapeError(
    'gradScale size',
    () => adamStep(rec, p, g, m, v, sc, { gradScale: two }),
    /gradScale has shape \[2\]/,
  );
  await expectShapeError(
    'betas differ from StepScalars',
    () => adamStep(rec, p, g, m, v, sc, { beta2: 0.99 }),
    /StepScalars was made for betas/,
  );
  await expectShapeError('beta1 range', () => adamStep(rec, p, g, m, v, sc, { beta1: 1 }), /beta1 must be in \[0, 1\)/);
  await expectShapeError(
    'buf shape',
    () => sgdStep(rec, p, g, bad, sc, { momentum: 0.9 }),
    /sgd: buf has shape \[5, 4\]/,
  );
  await expectShapeError(
    'missing buf',
    () => sgdStep(rec, p, g, null, sc, { momentum: 0.9 }),
    /needs a momentum buffer/,
  );
  await expectShapeError(
    'nesterov dampening',
    () => sgdStep(rec, p, g, m, sc, { momentum: 0.9, dampening: 0.1, nesterov: true }),
    /Nesterov momentum needs/,
  );
  await expectShapeError('step t', async () => sc.set(0.1, 0), /step t must be an integer/);
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches recorded by failing calls`);
  // Empty parameters: nothing to do, no error, no dispatch.
  const e = f([3, 0], 'empty');
  const e2 = f([3, 0], 'empty2');
  const e3 = f([3, 0], 'empty3');
  const e4 = f([3, 0], 'empty4');
  sc.set(0.1, 1);
  await adamStep(rec, e, e2, e3, e4, sc);
  await sgdStep(rec, e, e2, e3, sc, { momentum: 0.5 });
  assert(rec.dispatches === 0, 'empty params dispatched');
  rec.submit();
  for (const t of [p, g, m, v, bad, gi, two, e, e2, e3, e4]) t.release();
  sc.release();
});
