// reduce against its float64 reference: sum / mean / max over the last axis (one pass and
// multi-pass rows up to 100000), sums over rows and broadcast axes, every backward with random
// upstream gradients, max ties and NaN, the global norm of a list and clip scaling (norm read on
// the GPU), bit-identical repeats, empty inputs, and bad shapes rejected before any dispatch.
import { test } from '../harness/gpu';
import { assert, assertClose, assertEqual, assertIdentical, type Tolerance, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { Recorder } from '../../src/gpu/recorder';
import {
  maxLastBackward,
  maxLastForward,
  meanLastBackward,
  meanLastForward,
  sumLastBackward,
  sumLastForward,
} from '../../src/ops/reduce';
import { sumRowsBackward, sumRowsForward, sumToShape } from '../../src/ops/sum_to';
import { clipGradNorm, clipScale, globalNorm } from '../../src/ops/clip';
import * as ref from '../../src/reference/reduce';
import { randomArray } from '../../src/util/prng';
import { numel } from '../../src/util/shape';

/**
 * f32 sums: each output is a fixed tree with ≤ 256 elements added in order per leaf, so the error
 * stays within a few ULP of Σ|x| times the depth; 1e-6 of the row's Σ|x| is a generous bound.
 */
function sumTol(x: ArrayLike<number>, R: number, C: number): Tolerance {
  let worst = 0;
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.abs(x[r * C + c]!);
    worst = Math.max(worst, s);
  }
  return { atol: 1e-6 * Math.max(worst, 1), rtol: 1e-6 };
}

const LAST_SHAPES: [number, number][] = [
  [1, 1],
  [7, 7],
  [45, 65],
  [1000, 3],
  [3, 1023],
  [2, 4097],
  [2, 16385],
  [1, 100000],
  [100000, 2],
];

test(`sum and mean over the last axis match the reference, forward and backward`, async ({ ctx }) => {
  for (const [R, C] of LAST_SHAPES) {
    const xs = randomArray(R * C, R + C, -1, 1);
    const dys = randomArray(R, R + C + 1, -1, 1);
    const out = await runOps(ctx, async (rec) => {
      const x = upload(ctx, xs, [R, C]);
      const dy = upload(ctx, dys, [R]);
      return {
        s: await sumLastForward(rec, x),
        m: await meanLastForward(rec, x),
        ds: await sumLastBackward(rec, dy, [R, C]),
        dm: await meanLastBackward(rec, dy, [R, C]),
      };
    });
    const tol = sumTol(xs, R, C);
    assertClose(out.s, ref.sumLastForward(xs, R, C), tol, `sum (${R},${C})`);
    assertClose(out.m, ref.meanLastForward(xs, R, C), { atol: tol.atol / C, rtol: 1e-6 }, `mean (${R},${C})`);
    assertClose(out.ds, ref.sumLastBackward(dys, R, C), { atol: 0, rtol: 0 }, `sum dx (${R},${C})`);
    assertClose(out.dm, ref.meanLastBackward(dys, R, C), { atol: 1e-7, rtol: 1e-6 }, `mean dx (${R},${C})`);
  }
});

test('sum over rows matches the reference, forward and backward (bias gradients)', async ({ ctx }) => {
  const cases: number[][] = [
    [1, 1],
    [7, 1],
    [45, 65],
    [1023, 7],
    [4097, 3],
    [300, 1],
    [2, 3, 5],
    [130, 257],
    [100000, 3],
  ];
  for (const shape of cases) {
    const C = shape[shape.length - 1]!;
    const R = numel(shape) / C;
    const xs = randomArray(R * C, R + 3 * C, -1, 1);
    const dys = randomArray(C, C + 11, -1, 1);
    const out = await runOps(ctx, async (rec) => ({
      s: await sumRowsForward(rec, upload(ctx, xs, shape)),
      dx: await sumRowsBackward(rec, upload(ctx, dys, [C]), shape),
    }));
    // transpose to reuse the row-sum bound per column
    const xt = new Float32Array(R * C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) xt[c * R + r] = xs[r * C + c]!;
    assertClose(out.s, ref.sumRowsForward(xs, R, C), sumTol(xt, C, R), `sum rows [${shape}]`);
    assertClose(out.dx, ref.sumRowsBackward(dys, R, C), { atol: 0, rtol: 0 }, `sum rows dx [${shape}]`);
  }
});

test('sumToShape sums a broadcast gradient back to each input shape', async ({ ctx }) => {
  const cases: [number[], number[]][] = [
    [
      [2, 3, 4, 5],
      [3, 1, 5],
    ],
    [
      [2, 3, 4, 5],
      [2, 1, 4, 1],
    ],
    [
      [45, 65],
      [45, 1],
    ],
    [
      [45, 65],
      [1, 1],
    ],
    [[45, 65], []],
    [
      [3, 300, 7],
      [3, 1, 7],
    ],
    [
      [7, 9],
      [7, 9],
    ],
    [[1, 6], [6]],
  ];
  for (const [gShape, shape] of cases) {
    const gs = randomArray(numel(gShape), 31 + gShape.length, -1, 1);
    const out = await runOps(ctx, async (rec) => {
      const y = await sumToShape(rec, upload(ctx, gs, gShape), shape, { scale: -0.5 });
      assert(y.shape.join() === shape.join(), `result shape [${y.shape}], want [${shape}]`);
      return { y };
    });
    assertClose(out.y, ref.sumToShape(gs, gShape, shape, -0.5), { atol: 2e-5, rtol: 1e-5 }, `[${gShape}] → [${shape}]`);
  }
});

test('max over the last axis and its backward match the reference', async ({ ctx }) => {
  for (const [R, C] of [
    [1, 1],
    [7, 7],
    [45, 65],
    [2, 4097],
    [2, 16385],
    [1, 100000],
  ] as [number, number][]) {
    const xs = randomArray(R * C, 5 * R + C, -2, 2);
    const dys = randomArray(R, R + C + 7, -1, 1);
    const out = await runOps(ctx, async (rec) => {
      const x = upload(ctx, xs, [R, C]);
      const { values, indices } = await maxLastForward(rec, x);
      const dx = await maxLastBackward(rec, upload(ctx, dys, [R]), indices, [R, C]);
      return { values, indices, dx };
    });
    const want = ref.maxLastForward(xs, R, C);
    assertClose(out.values, want.values, { atol: 0, rtol: 0 }, `max (${R},${C})`);
    assertIdentical(out.indices, want.indices, `argmax (${R},${C})`);
    assertClose(out.dx, ref.maxLastBackward(dys, want.indices, R, C), { atol: 0, rtol: 0 }, `max dx (${R},${C})`);
  }
});

test('max: ties go to the first index (across pieces), NaN wins, -Infinity rows work', async ({ ctx }) => {
  const C = 20000; // several pieces (4096 here) per row: ties are resolved across passes too
  const rows: Float32Array[] = [];
  rows.push(new Float32Array(C).fill(0.25)); // all equal: index 0
  const two = randomArray(C, 1, -1, 0.5);
  two[18000] = 0.9;
  two[10] = 0.9; // same max at 10 and 18000: index 10
  rows.push(two);
  const nan = randomArray(C, 2, -1, 1);
  nan[17000] = NaN;
  nan[17001] = NaN; // first NaN wins
  rows.push(nan);
  rows.push(new Float32Array(C).fill(-Infinity));
  const q = randomArray(C, 3, -1, 1).map((v) => Math.round(v * 3) / 3); // many ties
  rows.push(q);
  const R = rows.length;
  const xs = new Float32Array(R * C);
  rows.forEach((r, i) => xs.set(r, i * C));
  const out = await runOps(ctx, async (rec) => maxLastForward(rec, upload(ctx, xs, [R, C])));
  const want = ref.maxLastForward(xs, R, C);
  assertClose(out.values, want.values, { atol: 0, rtol: 0 }, 'values');
  assertIdentical(out.indices, want.indices, 'indices');
  assertEqual(out.indices[1], 10, 'tie at 10 and 18000');
  assertEqual(out.indices[2], 17000, 'first NaN');
});

test('sums propagate NaN', async ({ ctx }) => {
  const R = 3;
  const C = 20000;
  const xs = randomArray(R * C, 4, -1, 1);
  xs[1 * C + 4444] = NaN;
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, xs, [R, C]);
    return { s: await sumLastForward(rec, x), r: await sumRowsForward(rec, x), n: await globalNorm(rec, [x]) };
  });
  assert(
    !Number.isNaN(out.s[0]) && Number.isNaN(out.s[1]) && !Number.isNaN(out.s[2]),
    `sum rows: ${Array.from(out.s)}`,
  );
  for (let c = 0; c < C; c++)
    assert(Number.isNaN(out.r[c]) === (c === 4444), `sum over rows, column ${c}: ${out.r[c]}`);
  assert(Number.isNaN(out.n[0]), `norm ${out.n[0]}`);
});

test('reductions are bit-identical on repeat', async ({ ctx }) => {
  const xs = randomArray(100000, 77, -1, 1);
  const run = () =>
    runOps(ctx, async (rec) => {
      const a = upload(ctx, xs, [1, 100000]);
      const b = upload(ctx, xs.subarray(0, 4097 * 13), [4097, 13]);
      const m = (await maxLastForward(rec, b)).values;
      return { s: await sumLastForward(rec, a), r: await sumRowsForward(rec, b), n: await globalNorm(rec, [a, b]), m };
    });
  const first = await run();
  const second = await run();
  for (const k of ['s', 'r', 'n', 'm'] as const) assertIdentical(second[k], first[k], k);
});

test('global norm of a list of tensors and clip scaling on the GPU', async ({ ctx }) => {
  const shapes = [[7], [45, 65], [4097], [1], [0], [3, 1023]];
  const data = shapes.map((s, i) => randomArray(numel(s), 50 + i, -1, 1));
  const norm = ref.globalNorm(data);
  for (const maxNorm of [norm / 3, norm * 2]) {
    const out = await runOps(ctx, async (rec) => {
      const ts = shapes.map((s, i) => upload(ctx, data[i]!, s));
      const n = await clipGradNorm(rec, ts, { maxNorm, eps: 1e-6 });
      const res: Record<string, typeof n> = { n };
      ts.forEach((t, i) => (res[`t${i}`] = t));
      return res;
    });
    assertClose(out.n!, [norm], { atol: 0, rtol: 2e-6 }, 'norm');
    const want = ref.clipScale(data, norm, maxNorm, 1e-6);
    // unclipped tensors stay bit-identical; clipped ones are one multiply off the f64 scale
    const clipped = maxNorm < norm;
    want.forEach((w, i) =>
      assertClose(
        out[`t${i}`]!,
        clipped ? w : data[i]!,
        clipped ? { atol: 1e-7, rtol: 4e-6 } : { atol: 0, rtol: 0 },
        `t${i}`,
      ),
    );
  }
});

test('global norm edge cases: one small tensor, an empty list, a NaN norm', async ({ ctx }) => {
  const out = await runOps(ctx, async (rec) => {
    const one = await globalNorm(rec, [upload(ctx, [3, 4], [2])]);
    const none = await globalNorm(rec, []);
    const g = upload(ctx, [1, -2, 3], [3]);
    await clipScale(rec, [g], upload(ctx, [NaN], [1]), { maxNorm: 1 });
    const h = upload(ctx, [1, -2, 3], [3]);
    await clipScale(rec, [h], upload(ctx, [Infinity], [1]), { maxNorm: 1 });
    return { one, none, g, h };
  });
  assertClose(out.one, [5], { atol: 0, rtol: 1e-7 }, 'norm of [3, 4]');
  assertClose(out.none, [0], { atol: 0, rtol: 0 }, 'norm of nothing');
  assert(Array.from(out.g).every(Number.isNaN), `NaN norm: ${Array.from(out.g)}`);
  assertClose(out.h, [0, 0, 0], { atol: 0, rtol: 0 }, 'infinite norm zeroes');
});

test('empty inputs: zero-size outputs, and sums over an empty axis are 0', async ({ ctx }) => {
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, [], [4, 0]);
    const s = await sumLastForward(rec, x);
    const m = await meanLastForward(rec, x);
    const r = await sumRowsForward(rec, x);
    const e = await sumLastForward(rec, upload(ctx, [], [0, 5]));
    assert(r.shape.join() === '0' && e.shape.join() === '0', `shapes [${r.shape}] [${e.shape}]`);
    const z = await sumRowsForward(rec, upload(ctx, [], [0, 3]));
    return { s, m, z };
  });
  assertClose(out.s, [0, 0, 0, 0], { atol: 0, rtol: 0 }, 'sum over an empty axis');
  assert(Array.from(out.m).every(Number.isNaN), `mean over an empty axis: ${Array.from(out.m)}`);
  assertClose(out.z, [0, 0, 0], { atol: 0, rtol: 0 }, 'sum over zero rows');
});

test('bad shapes and arguments throw a clear error before any dispatch', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad' });
  const x = upload(ctx, new Float32Array(12), [3, 4]);
  const ints = upload(ctx, new Int32Array(3), [3], 'i32');
  const scalar = upload(ctx, [1], []);
  const expectThrow = (what: string, f: () => Promise<unknown>, words: string[]): Promise<Error> =>
    assertRejects(what, f, words);
  await expectThrow('sum of a rank-0 tensor', () => sumLastForward(rec, scalar), ['sum_last', 'rank 0']);
  await expectThrow('sumToShape to a non-broadcast shape', () => sumToShape(rec, x, [5]), ['[3, 4]', '[5]']);
  await expectThrow('sumToShape to a larger shape', () => sumToShape(rec, x, [2, 3, 4]), ['[3, 4]', '[2, 3, 4]']);
  await expectThrow('max over an empty axis', () => maxLastForward(rec, upload(ctx, [], [2, 0])), [
    'max_last',
    'empty',
  ]);
  const f32Indices = upload(ctx, [0, 0, 0], [3]);
  await expectThrow(
    'max backward with f32 indices',
    () => maxLastBackward(rec, upload(ctx, [1, 2, 3], [3]), f32Indices, [3, 4]),
    ['indices', 'i32'],
  );
  await expectThrow('max backward, wrong dy', () => maxLastBackward(rec, upload(ctx, [1, 2], [2]), ints, [3, 4]), [
    'dy',
    '[2]',
    '[3]',
  ]);
  await expectThrow('sum backward, wrong dy', () => sumLastBackward(rec, upload(ctx, [1, 2], [2]), [3, 4]), [
    'sum_last_backward',
    'dy',
  ]);
  await expectThrow('mean of i32', () => meanLastForward(rec, ints), ['mean_last', 'i32']);
  await expectThrow('clip with maxNorm 0', () => clipGradNorm(rec, [x], { maxNorm: 0 }), ['maxNorm']);
  await expectThrow(
    'clip with a norm of 2 elements',
    () => clipScale(rec, [x], upload(ctx, [1, 2], [2]), { maxNorm: 1 }),
    ['norm', 'one element'],
  );
  await expectThrow('clip the norm itself', () => clipScale(rec, [scalar], scalar, { maxNorm: 1 }), [
    'norm tensor itself',
  ]);
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches were recorded`);
  rec.submit();
});
