// dropout against its float64 reference: masks match the CPU hash bit for bit, the kept
// fraction is near 1 − p, backward reuses the forward mask, and sizes cross the flat-grid split.
import { test } from '../harness/gpu';
import { assert, assertClose } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { dropoutForward, dropoutBackward } from '../../src/ops/dropout';
import * as ref from '../../src/reference/dropout';
import { randomArray } from '../../src/util/prng';

const TOL = { atol: 1e-6, rtol: 1e-6 }; // one multiply by 1/(1-p): f32 rounding only

for (const n of [1, 7, 1023, 45 * 65]) {
  test(`dropout forward and backward match the reference (n=${n}, p=0.3)`, async ({ ctx }) => {
    const xs = randomArray(n, 11 + n, -2, 2);
    const dys = randomArray(n, 12 + n, -1, 1);
    const a = { p: 0.3, seed: 1234, step: 5 };
    const out = await runOps(ctx, async (rec) => {
      const x = upload(ctx, xs, [n]);
      const dy = upload(ctx, dys, [n]);
      return { y: await dropoutForward(rec, x, a), dx: await dropoutBackward(rec, dy, a) };
    });
    assertClose(out.y, ref.dropoutForward(xs, a.p, a.seed, a.step), TOL, 'y');
    assertClose(out.dx, ref.dropoutBackward(dys, a.p, a.seed, a.step), TOL, 'dx');
    for (let i = 0; i < n; i++) assert((out.y[i] === 0) === (out.dx[i] === 0), `mask differs between passes at ${i}`);
  });
}

test('dropout keeps about 1 − p and differs by step', async ({ ctx }) => {
  const n = 20000;
  const ones = new Float32Array(n).fill(1);
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, ones, [n]);
    return {
      a: await dropoutForward(rec, x, { p: 0.25, seed: 7, step: 0 }),
      b: await dropoutForward(rec, x, { p: 0.25, seed: 7, step: 1 }),
    };
  });
  let kept = 0;
  let same = 0;
  for (let i = 0; i < n; i++) {
    if (out.a[i] !== 0) kept++;
    if (out.a[i] === out.b[i]) same++;
  }
  assert(Math.abs(kept / n - 0.75) < 0.02, `kept fraction ${kept / n}, want 0.75 ± 0.02`);
  assert(same < 0.7 * n, `masks of step 0 and step 1 agree on ${same}/${n}: not independent`);
});

test('dropout splits a flat grid past maxComputeWorkgroupsPerDimension', async ({ ctx }) => {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const n = (max + 3) * 64 * 4; // more than max workgroups of 64 invocations × 4 elements
  const xs = new Float32Array(n).fill(1);
  const out = await runOps(ctx, async (rec) => ({
    y: await dropoutForward(rec, upload(ctx, xs, [n]), { p: 0, seed: 1, step: 0 }),
  }));
  let bad = -1;
  for (let i = 0; i < n; i++)
    if (out.y[i] !== 1) {
      bad = i;
      break;
    }
  assert(bad === -1, `element ${bad} not written after the grid split`);
});
