// softmax forward and backward against the float64 reference, for one row per invocation
// (threadsPerRow 1) and several invocations per row (tree reduction), scalar and vec4 loads, rows
// of 1 … 4097 elements, scale, causal mask, NaN propagation, determinism and shape errors.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { softmaxForward, softmaxBackward, type SoftmaxArgs } from '../../src/ops/softmax';
import * as ref from '../../src/reference/softmax';
import { Recorder } from '../../src/gpu/recorder';
import { ShapeError } from '../../src/util/errors';
import { randomArray } from '../../src/util/prng';
import type { GpuContext } from '../../src/gpu/device';

// y: exp has a few ulp of relative error (Vulkan allows 3 + 2·|x| ulp) and the f32 row sum
// rounds ~√C times; dx: one f32 dot product of length C plus a few roundings.
const TOL_Y = { atol: 1e-6, rtol: 2e-5 };
const TOL_DX = { atol: 2e-6, rtol: 2e-5 };

const CS = [1, 7, 65, 256, 1023, 4097];
const RS = [1, 7, 45];

interface Case {
  R: number;
  C: number;
  a: SoftmaxArgs;
}

/** Forward on x and backward on the (f32-rounded) reference y, checked against the reference. */
async function check(ctx: GpuContext, cases: Case[], seed: number): Promise<void> {
  const inputs = cases.map(({ R, C, a }, i) => {
    const xs = randomArray(R * C, seed + 3 * i, -2, 2);
    const yRef = ref.softmaxForward(xs, R, C, { scale: a.scale ?? 1, causal: a.causal ?? false });
    return { xs, yRef, y32: Float32Array.from(yRef), dys: randomArray(R * C, seed + 3 * i + 1, -1, 1) };
  });
  const outs = await runOps(ctx, async (rec) => {
    const o: Record<string, Awaited<ReturnType<typeof softmaxForward>>> = {};
    for (const [i, { R, C, a }] of cases.entries()) {
      const shape = [R, C];
      o[`y${i}`] = await softmaxForward(rec, upload(ctx, inputs[i]!.xs, shape), a);
      o[`dx${i}`] = await softmaxBackward(
        rec,
        upload(ctx, inputs[i]!.dys, shape),
        upload(ctx, inputs[i]!.y32, shape),
        a,
      );
    }
    return o;
  });
  for (const [i, { R, C, a }] of cases.entries()) {
    const what = `R=${R} C=${C} ${JSON.stringify(a)}`;
    const { yRef, y32, dys } = inputs[i]!;
    assertClose(outs[`y${i}`]!, yRef, TOL_Y, `y ${what}`);
    const dxRef = ref.softmaxBackward(dys, y32, R, C, { scale: a.scale ?? 1, causal: a.causal ?? false });
    assertClose(outs[`dx${i}`]!, dxRef, TOL_DX, `dx ${what}`);
  }
}

for (const threadsPerRow of [1, 32]) {
  for (const C of CS) {
    test(`softmax forward and backward match the reference (threadsPerRow ${threadsPerRow}, C=${C}, R in ${RS.join('/')}, scale 0.8)`, async ({
      ctx,
    }) => {
      await check(
        ctx,
        RS.map((R) => ({ R, C, a: { threadsPerRow, scale: 0.8 } })),
        100 + C,
      );
    });
  }
}

test('softmax with 2, 4 and 256 invocations per row', async ({ ctx }) => {
  const cases: Case[] = [];
  for (const threadsPerRow of [2, 4, 256])
    for (const C of [7, 65, 1023, 1024]) cases.push({ R: 45, C, a: { threadsPerRow, scale: 1.3 } });
  await check(ctx, cases, 7);
});

test('softmax vec4 and scalar paths agree with the reference on rows of C % 4 == 0', async ({ ctx }) => {
  const cases: Case[] = [];
  for (const vec4 of [true, false])
    for (const threadsPerRow of [1, 8])
      for (const C of [4, 12, 1024]) cases.push({ R: 7, C, a: { vec4, threadsPerRow, scale: 0.9 } });
  await check(ctx, cases, 9);
});

test('softmax causal mask with scale (rows viewed as (…, T, T))', async ({ ctx }) => {
  const cases: Case[] = [];
  for (const threadsPerRow of [1, 4]) {
    for (const [R, C] of [
      [1, 1],
      [45, 1],
      [7, 7],
      [14, 7],
      [24, 12],
      [130, 65],
      [256, 256],
    ] as const) {
      cases.push({ R, C, a: { threadsPerRow, causal: true, scale: -1.7 } });
      if (C % 4 === 0) cases.push({ R, C, a: { threadsPerRow, causal: true, scale: 0.6, vec4: false } });
    }
  }
  await check(ctx, cases, 21);
});

test('softmax propagates NaN to its row only; NaN under the causal mask is never read', async ({ ctx }) => {
  for (const [C, threadsPerRow] of [
    [7, 1],
    [7, 4],
    [8, 1],
    [8, 4],
  ] as const) {
    const R = 2 * C;
    const xs = randomArray(R * C, 5, -2, 2);
    xs[2 * C + 4] = NaN; // row 2, unmasked without the mask, masked with it (4 > 2)
    xs[(C + 2) * C + 1] = NaN; // row C + 2 (i = 2), unmasked either way
    const dys = randomArray(R * C, 6, -1, 1);
    for (const causal of [false, true]) {
      const a = { threadsPerRow, causal };
      const out = await runOps(ctx, async (rec) => {
        const y = await softmaxForward(rec, upload(ctx, xs, [R, C]), a);
        return { y, dx: await softmaxBackward(rec, upload(ctx, dys, [R, C]), y, a) };
      });
      const yRef = ref.softmaxForward(xs, R, C, { scale: 1, causal });
      const what = `C=${C} threadsPerRow=${threadsPerRow} causal=${causal}`;
      assertClose(out.y, yRef, TOL_Y, `y ${what}`);
      assertClose(
        out.dx,
        ref.softmaxBackward(dys, yRef, R, C, { scale: 1, causal }),
        { atol: 1e-5, rtol: 1e-4 },
        `dx ${what}`,
      );
      const r = C + 2;
      for (let j = 0; j < C; j++)
        assert(
          Number.isNaN(out.y[r * C + j]!) === (!causal || j <= 2),
          `${what}: row ${r} element ${j}: ${out.y[r * C + j]}`,
        );
      assert(causal === !Number.isNaN(out.y[2 * C]!), `${what}: row 2 begins with ${out.y[2 * C]}`);
    }
  }
});

test('softmax is bit-identical across runs', async ({ ctx }) => {
  const R = 45;
  for (const [C, threadsPerRow] of [
    [1023, 1],
    [1024, 1],
    [1023, 64],
    [1024, 64],
  ] as const) {
    const xs = randomArray(R * C, 8, -2, 2);
    const dys = randomArray(R * C, 9, -1, 1);
    const run = () =>
      runOps(ctx, async (rec) => {
        const y = await softmaxForward(rec, upload(ctx, xs, [R, C]), { threadsPerRow });
        return { y, dx: await softmaxBackward(rec, upload(ctx, dys, [R, C]), y, { threadsPerRow }) };
      });
    const a = await run();
    const b = await run();
    assertIdentical(a.y, b.y, `y C=${C} threadsPerRow ${threadsPerRow}`);
    assertIdentical(a.dx, b.dx, `dx C=${C} threadsPerRow ${threadsPerRow}`);
  }
});

test('softmax of rank 1 and rank 4 tensors and of empty tensors', async ({ ctx }) => {
  const xs = randomArray(2 * 3 * 4 * 4, 10, -2, 2);
  const out = await runOps(ctx, async (rec) => ({
    v: await softmaxForward(rec, upload(ctx, xs.subarray(0, 9), [9])),
    b: await softmaxForward(rec, upload(ctx, xs, [2, 3, 4, 4]), { causal: true }),
  }));
  assertClose(out.v, ref.softmaxForward(xs.subarray(0, 9), 1, 9, { scale: 1, causal: false }), TOL_Y, 'rank 1');
  assertClose(out.b, ref.softmaxForward(xs, 24, 4, { scale: 1, causal: true }), TOL_Y, 'rank 4 causal');
  const rec = new Recorder(ctx, { label: 'empty' });
  for (const shape of [[0, 5], [3, 0], [0]]) {
    const x = upload(ctx, [], shape);
    const y = await softmaxForward(rec, x, { causal: true });
    const dx = await softmaxBackward(rec, x, y, { causal: true });
    assert(
      y.size === 0 && dx.size === 0 && y.shape.join() === shape.join(),
      `empty ${shape}: shapes ${y.shape} ${dx.shape}`,
    );
    for (const t of [x, y, dx]) t.release();
  }
  rec.submit();
  assert(rec.dispatches === 0, `empty inputs dispatched ${rec.dispatches} kernels`);
});

test('softmax rejects bad shapes and options before dispatching', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad' });
  const x = upload(ctx, new Float32Array(12), [4, 3]);
  const y = upload(ctx, new Float32Array(12), [4, 3]);
  const dyBad = upload(ctx, new Float32Array(12), [3, 4]);
  const xi = upload(ctx, new Int32Array(12), [4, 3], 'i32');
  const expectThrow = (what: string, f: () => Promise<unknown>, pattern: RegExp): Promise<Error> =>
    assertRejects(what, f, pattern, ShapeError);
  await expectThrow(
    'causal with R % C != 0',
    () => softmaxForward(rec, x, { causal: true }),
    /softmax: causal .*R = 4 rows, not a multiple of 3/,
  );
  await expectThrow(
    'dy shape',
    () => softmaxBackward(rec, dyBad, y),
    /softmax_backward: dy has shape \[3, 4\], expected \[4, 3\]/,
  );
  await expectThrow('dtype', () => softmaxForward(rec, xi), /softmax: x \[4, 3\] has dtype i32, expected f32/);
  await expectThrow(
    'threadsPerRow',
    () => softmaxForward(rec, x, { threadsPerRow: 3 }),
    /threadsPerRow must be a power of two/,
  );
  await expectThrow('scale', () => softmaxForward(rec, x, { scale: NaN }), /scale must be a finite number/);
  await expectThrow('out shape', () => softmaxForward(rec, x, {}, dyBad), /softmax: out has shape \[3, 4\]/);
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches recorded before the errors`);
  rec.submit();
  for (const t of [x, y, dyBad, xi]) t.release();
});
