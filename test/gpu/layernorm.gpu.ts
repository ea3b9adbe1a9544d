// layernorm forward (y, saved mean and rstd) and backward (dx, dgamma, dbeta) against the float64
// reference, for one row per invocation and several invocations per row, scalar and vec4 loads,
// rows of 1 … 4097 elements, NaN propagation, bit-identical reruns, empty inputs and shape errors.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import {
  layernormForward,
  layernormBackward,
  layernormWorkspaceShape,
  type LayernormArgs,
} from '../../src/ops/layernorm';
import * as ref from '../../src/reference/layernorm';
import { Recorder } from '../../src/gpu/recorder';
import type { Tensor } from '../../src/gpu/tensor';
import type { GpuContext } from '../../src/gpu/device';
import { ShapeError } from '../../src/util/errors';
import { randomArray } from '../../src/util/prng';

// f32 sums of up to 4097 terms (mean, variance, the two row sums of backward) and a few
// roundings per element; values are O(1…10).
const TOL_Y = { atol: 2e-5, rtol: 2e-5 };
const TOL_STAT = { atol: 1e-6, rtol: 1e-5 };
const TOL_DX = { atol: 5e-5, rtol: 1e-4 };
// dgamma, dbeta: sums over ≤ 45 rows of O(1) terms
const TOL_DW = { atol: 5e-5, rtol: 1e-4 };

const CS = [1, 7, 65, 256, 1023, 4097];
const RS = [1, 7, 45];
const EPS = 1e-5;

interface Case {
  R: number;
  C: number;
  a: LayernormArgs;
}

function inputs(R: number, C: number, seed: number) {
  const xs = randomArray(R * C, seed, -2, 2);
  const gs = randomArray(C, seed + 1, -2, 2);
  const bs = randomArray(C, seed + 2, -2, 2);
  const dys = randomArray(R * C, seed + 3, -1, 1);
  const fwd = ref.layernormForward(xs, gs, bs, R, C, EPS);
  // backward runs on the reference statistics rounded to f32, so only its own error is measured
  const mean32 = Float32Array.from(fwd.mean);
  const rstd32 = Float32Array.from(fwd.rstd);
  return { xs, gs, bs, dys, fwd, mean32, rstd32, bwd: ref.layernormBackward(dys, xs, gs, mean32, rstd32, R, C) };
}

async function check(ctx: GpuContext, cases: Case[], seed: number): Promise<void> {
  const ins = cases.map(({ R, C }, i) => inputs(R, C, seed + 10 * i));
  const outs = await runOps(ctx, async (rec) => {
    const o: Record<string, Tensor> = {};
    for (const [i, { R, C, a }] of cases.entries()) {
      const v = ins[i]!;
      const x = upload(ctx, v.xs, [R, C]);
      const gamma = upload(ctx, v.gs, [C]);
      const f = await layernormForward(rec, x, gamma, upload(ctx, v.bs, [C]), { ...a, eps: EPS });
      const g = await layernormBackward(
        rec,
        upload(ctx, v.dys, [R, C]),
        x,
        gamma,
        upload(ctx, v.mean32, [R]),
        upload(ctx, v.rstd32, [R]),
        a,
      );
      Object.assign(o, {
        [`y${i}`]: f.y,
        [`mean${i}`]: f.mean,
        [`rstd${i}`]: f.rstd,
        [`dx${i}`]: g.dx,
        [`dgamma${i}`]: g.dgamma,
        [`dbeta${i}`]: g.dbeta,
      });
    }
    return o;
  });
  for (const [i, { R, C, a }] of cases.entries()) {
    const what = `R=${R} C=${C} ${JSON.stringify(a)}`;
    const v = ins[i]!;
    assertClose(outs[`y${i}`]!, v.fwd.y, TOL_Y, `y ${what}`);
    assertClose(outs[`mean${i}`]!, v.fwd.mean, TOL_STAT, `mean ${what}`);
    assertClose(outs[`rstd${i}`]!, v.fwd.rstd, { atol: 1e-6, rtol: C === 1 ? 1e-4 : 1e-5 }, `rstd ${what}`); // C=1: rstd = 1/sqrt(eps)
    assertClose(outs[`dx${i}`]!, v.bwd.dx, C === 1 ? { atol: 5e-5, rtol: 1e-3 } : TOL_DX, `dx ${what}`);
    assertClose(outs[`dgamma${i}`]!, v.bwd.dgamma, TOL_DW, `dgamma ${what}`);
    assertClose(outs[`dbeta${i}`]!, v.bwd.dbeta, TOL_DW, `dbeta ${what}`);
  }
}

for (const threadsPerRow of [1, 32]) {
  for (const C of CS) {
    test(`layernorm forward and backward match the reference (threadsPerRow ${threadsPerRow}, C=${C}, R in ${RS.join('/')})`, async ({
      ctx,
    }) => {
      await check(
        ctx,
        RS.map((R) => ({ R, C, a: { threadsPerRow } })),
        200 + C,
      );
    });
  }
}

test('layernorm with 2, 4 and 256 invocations per row, vec4 and scalar', async ({ ctx }) => {
  const cases: Case[] = [];
  for (const threadsPerRow of [2, 4, 256])
    for (const C of [7, 12, 1024])
      for (const vec4 of [true, false]) cases.push({ R: 45, C, a: { threadsPerRow, vec4 } });
  await check(ctx, cases, 17);
});

test('layernorm dgamma and dbeta over many row blocks (R = 1000)', async ({ ctx }) => {
  await check(
    ctx,
    [
      { R: 1000, C: 65, a: {} },
      { R: 1000, C: 64, a: {} },
    ],
    31,
  );
});

test('layernorm writes into caller-given outputs and workspace', async ({ ctx }) => {
  const R = 70;
  const C = 12;
  const v = inputs(R, C, 71);
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, v.xs, [R, C]);
    const gamma = upload(ctx, v.gs, [C]);
    const f = await layernormForward(rec, x, gamma, upload(ctx, v.bs, [C]), { eps: EPS });
    const given = {
      dx: upload(ctx, new Float32Array(R * C).fill(7), [R, C]),
      dgamma: upload(ctx, new Float32Array(C).fill(7), [C]),
      dbeta: upload(ctx, new Float32Array(C).fill(7), [C]),
      workspace: upload(ctx, new Float32Array(3 * 2 * C).fill(7), layernormWorkspaceShape(R, C)),
    };
    const g = await layernormBackward(
      rec,
      upload(ctx, v.dys, [R, C]),
      x,
      gamma,
      upload(ctx, v.mean32, [R]),
      upload(ctx, v.rstd32, [R]),
      {},
      given,
    );
    assert(
      g.dx === given.dx && g.dgamma === given.dgamma && g.dbeta === given.dbeta,
      'outputs are not the given tensors',
    );
    return { y: f.y, dx: g.dx, dgamma: g.dgamma, dbeta: g.dbeta, ws: given.workspace };
  });
  assertClose(out.y, v.fwd.y, TOL_Y, 'y');
  assertClose(out.dx, v.bwd.dx, TOL_DX, 'dx');
  assertClose(out.dgamma, v.bwd.dgamma, TOL_DW, 'dgamma');
  assertClose(out.dbeta, v.bwd.dbeta, TOL_DW, 'dbeta');
});

test('layernorm propagates NaN to its row only', async ({ ctx }) => {
  const R = 7;
  for (const C of [7, 8]) {
    const v = inputs(R, C, 41);
    v.xs[3 * C + 2] = NaN;
    const fwd = ref.layernormForward(v.xs, v.gs, v.bs, R, C, EPS);
    const out = await runOps(ctx, async (rec) => {
      const x = upload(ctx, v.xs, [R, C]);
      const gamma = upload(ctx, v.gs, [C]);
      const f = await layernormForward(rec, x, gamma, upload(ctx, v.bs, [C]), { eps: EPS });
      const g = await layernormBackward(rec, upload(ctx, v.dys, [R, C]), x, gamma, f.mean, f.rstd);
      return { ...f, dx: g.dx, dgamma: g.dgamma };
    });
    assertClose(out.y, fwd.y, TOL_Y, `y C=${C}`);
    assertClose(out.mean, fwd.mean, TOL_STAT, `mean C=${C}`);
    assertClose(out.rstd, fwd.rstd, TOL_STAT, `rstd C=${C}`);
    for (let r = 0; r < R; r++) assert(Number.isNaN(out.dx[r * C]!) === (r === 3), `dx row ${r}: ${out.dx[r * C]}`);
    assert(Number.isNaN(out.dgamma[0]!), `dgamma[0] = ${out.dgamma[0]}: the NaN row should reach every column`);
  }
});

test('layernorm is bit-identical across runs', async ({ ctx }) => {
  for (const [R, C, threadsPerRow] of [
    [100, 1023, 1],
    [100, 1024, 1],
    [45, 1024, 64],
  ] as const) {
    const v = inputs(R, C, 51);
    const run = () =>
      runOps(ctx, async (rec) => {
        const x = upload(ctx, v.xs, [R, C]);
        const gamma = upload(ctx, v.gs, [C]);
        const f = await layernormForward(rec, x, gamma, upload(ctx, v.bs, [C]), { threadsPerRow });
        const g = await layernormBackward(rec, upload(ctx, v.dys, [R, C]), x, gamma, f.mean, f.rstd, { threadsPerRow });
        return { ...f, ...g };
      });
    const a = await run();
    const b = await run();
    for (const k of ['y', 'mean', 'rstd', 'dx', 'dgamma', 'dbeta'] as const)
      assertIdentical(a[k], b[k], `${k} R=${R} C=${C}`);
  }
});

test('layernorm of rank 1 and rank 3 tensors and of empty tensors', async ({ ctx }) => {
  const v = inputs(6, 5, 61);
  const out = await runOps(ctx, async (rec) => {
    const g = upload(ctx, v.gs, [5]);
    const b = upload(ctx, v.bs, [5]);
    const one = await layernormForward(rec, upload(ctx, v.xs.subarray(0, 5), [5]), g, b, { eps: EPS });
    const three = await layernormForward(rec, upload(ctx, v.xs, [2, 3, 5]), g, b, { eps: EPS });
    assert(
      one.mean.shape.length === 0 && three.mean.shape.join() === '2,3',
      `stat shapes ${one.mean.shape} / ${three.mean.shape}`,
    );
    return { one: one.y, three: three.y };
  });
  assertClose(out.one, v.fwd.y.subarray(0, 5), TOL_Y, 'rank 1');
  assertClose(out.three, v.fwd.y, TOL_Y, 'rank 3');
  for (const [R, C] of [
    [0, 5],
    [3, 0],
  ] as const) {
    const res = await runOps(ctx, async (rec) => {
      const x = upload(ctx, [], [R, C]);
      const g = upload(ctx, new Float32Array(C).fill(1), [C]);
      const f = await layernormForward(rec, x, g, g);
      const b = await layernormBackward(rec, x, x, g, f.mean, f.rstd);
      assert(rec.dispatches === 0, `R=${R} C=${C}: ${rec.dispatches} dispatches`);
      return { y: f.y, mean: f.mean, rstd: f.rstd, dx: b.dx, dgamma: b.dgamma, dbeta: b.dbeta };
    });
    assert(res.y.length === 0 && res.dx.length === 0, `R=${R} C=${C}: y/dx not empty`);
    assertIdentical(res.mean, new Float32Array(R), `mean R=${R} C=${C}`);
    assertIdentical(res.rstd, new Float32Array(R), `rstd R=${R} C=${C}`);
    assertIdentical(res.dgamma, new Float32Array(C), `dgamma R=${R} C=${C}`);
    assertIdentical(res.dbeta, new Float32Array(C), `dbeta R=${R} C=${C}`);
  }
});

test('layernorm rejects bad shapes and options before dispatching', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad' });
  const x = upload(ctx, new Float32Array(12), [4, 3]);
  const g3 = upload(ctx, new Float32Array(3), [3]);
  const g4 = upload(ctx, new Float32Array(4), [4]);
  const stat = upload(ctx, new Float32Array(4), [4]);
  const stat3 = upload(ctx, new Float32Array(3), [3]);
  const xi = upload(ctx, new Int32Array(12), [4, 3], 'i32');
  const expectThrow = (what: string, f: () => Promise<unknown>, pattern: RegExp): Promise<Error> =>
    assertRejects(what, f, pattern, ShapeError);
  await expectThrow(
    'gamma',
    () => layernormForward(rec, x, g4, g3),
    /layernorm: gamma has shape \[4\], expected \[3\]/,
  );
  await expectThrow('beta', () => layernormForward(rec, x, g3, g4), /layernorm: beta has shape \[4\], expected \[3\]/);
  await expectThrow(
    'dtype',
    () => layernormForward(rec, xi, g3, g3),
    /layernorm: x \[4, 3\] has dtype i32, expected f32/,
  );
  await expectThrow('eps', () => layernormForward(rec, x, g3, g3, { eps: -1 }), /eps must be a finite number/);
  await expectThrow(
    'mean',
    () => layernormBackward(rec, x, x, g3, stat3, stat),
    /layernorm_backward: mean has shape \[3\], expected \[4\]/,
  );
  await expectThrow(
    'dy',
    () => layernormBackward(rec, xi, x, g3, stat, stat),
    /layernorm_backward: dy \[4, 3\] has dtype i32/,
  );
  await expectThrow(
    'workspace',
    () => layernormBackward(rec, x, x, g3, stat, stat, {}, { workspace: stat }),
    /out.workspace has shape \[4\], expected \[1, 2, 3\]/,
  );
  await expectThrow(
    'threadsPerRow',
    () => layernormForward(rec, x, g3, g3, { threadsPerRow: 512 }),
    /threadsPerRow must be a power of two/,
  );
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches recorded before the errors`);
  rec.submit();
  for (const t of [x, g3, g4, stat, stat3, xi]) t.release();
  assert(
    layernormWorkspaceShape(4096, 256).join() === '128,2,256',
    `workspace shape ${layernormWorkspaceShape(4096, 256)}`,
  );
});
