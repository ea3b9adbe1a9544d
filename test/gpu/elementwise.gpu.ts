// elementwise against its float64 reference: every unary op forward and backward (random
// upstream gradients, sizes off the workgroup size), large-|x| stability, NaN propagation,
// broadcasting add / sub / mul / div forward and backward up to rank 5, y = αx + β in place,
// empty inputs, and bad shapes rejected before any dispatch.
import { test } from '../harness/gpu';
import { assert, assertClose, type Tolerance, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { Recorder } from '../../src/gpu/recorder';
import {
  affineInPlace,
  binaryBackward,
  binaryForward,
  unaryBackward,
  unaryForward,
  UNARY_SAVES,
} from '../../src/ops/elementwise';
import * as ref from '../../src/reference/elementwise';
import type { BinaryOp, UnaryOp } from '../../src/reference/elementwise';
import { randomArray } from '../../src/util/prng';
import { PARAMS, UNARY } from '../harness/unary_cases';
import { numel } from '../../src/util/shape';
import type { GpuContext } from '../../src/gpu/device';

// exp / log / tanh are accurate to a few ULP in WGSL (exp: 3 + 2|x| ULP); the rest is f32 rounding
const UNARY_TOL: Tolerance = { atol: 2e-6, rtol: 1e-5 };
const SIZES = [1, 7, 45 * 65, 4097];

function domainInputs(op: UnaryOp, n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, -2, 2);
  if (op === 'log' || op === 'sqrt') for (let i = 0; i < n; i++) x[i] = 0.1 + Math.abs(x[i]!);
  return x;
}

/** Forward then backward of a unary op; the saved tensor is x or y as UNARY_SAVES says. */
async function unaryRun(ctx: GpuContext, op: UnaryOp, xs: Float32Array, dys: Float32Array) {
  const p = PARAMS[op] ?? {};
  return runOps(ctx, async (rec) => {
    const x = upload(ctx, xs, [xs.length]);
    const dy = upload(ctx, dys, [dys.length]);
    const y = await unaryForward(rec, op, x, p);
    const saved = UNARY_SAVES[op] === 'x' ? x : UNARY_SAVES[op] === 'y' ? y : null;
    return { y, dx: await unaryBackward(rec, op, dy, saved, p) };
  });
}

/** The f64 reference on the GPU's own saved value (its y), so backward is checked in isolation. */
function unaryRef(op: UnaryOp, xs: Float32Array, dys: Float32Array, gpuY: ArrayLike<number>) {
  const p = PARAMS[op] ?? {};
  const saved = UNARY_SAVES[op] === 'x' ? xs : UNARY_SAVES[op] === 'y' ? gpuY : null;
  return { y: Float32Array.from(ref.unaryForward(op, xs, p)), dx: ref.unaryBackward(op, dys, saved, p) };
}

for (const op of UNARY) {
  test(`${op} forward and backward match the reference (n = ${SIZES.join(', ')})`, async ({ ctx }) => {
    for (const n of SIZES) {
      const xs = domainInputs(op, n, 100 + n);
      const dys = randomArray(n, 200 + n, -1, 1);
      const out = await unaryRun(ctx, op, xs, dys);
      const want = unaryRef(op, xs, dys, out.y);
      assertClose(out.y, want.y, UNARY_TOL, `${op} y (n=${n})`);
      assertClose(out.dx, want.dx, UNARY_TOL, `${op} dx (n=${n})`);
    }
  });
}

test('unary ops stay finite and saturate correctly for large |x|', async ({ ctx }) => {
  const xs = Float32Array.from([-1e30, -1e4, -90, -50, -44.5, -20, -9.7, -9.6, 9.6, 9.7, 20, 44.5, 50, 80, 1e4, 1e30]);
  const dys = randomArray(xs.length, 5, -1, 1);
  for (const op of ['tanh', 'sigmoid', 'gelu', 'gelu_erf', 'elu', 'relu', 'leaky_relu', 'step'] as UnaryOp[]) {
    const out = await unaryRun(ctx, op, xs, dys);
    const want = unaryRef(op, xs, dys, out.y);
    // the reference rounded to f32 (so saturation to ±1, 0 or x is exact on both sides)
    assertClose(out.y, want.y, { atol: 1e-6, rtol: 1e-6 }, `${op} y at large |x|`);
    assertClose(out.dx, Float32Array.from(want.dx), { atol: 1e-6, rtol: 1e-5 }, `${op} dx at large |x|`);
  }
  const ex = await unaryRun(
    ctx,
    'exp',
    Float32Array.from([-200, -80, 80, 100]),
    Float32Array.from([0.5, 0.5, 0.5, 0.5]),
  );
  const wantExp = [0, Math.fround(Math.exp(-80)), Math.fround(Math.exp(80)), Infinity];
  assertClose(ex.y, wantExp, { atol: 1e-37, rtol: 1e-5 }, 'exp overflows to +Inf, underflows to 0');
});

// erfc_f32 (lib/gelu_erf.wgsl) has fractional error < 1.2e-7; y = x·Φ(x) adds the f32 rounding of
// the product, so |gpu − exact| ≤ 1.2e-7·|x| + a few ulp of y. The grid covers both tails.
test('gelu_erf is the exact GELU to f32 precision on [-9, 9] (max errors logged)', async ({ ctx }) => {
  const n = 18001; // step 0.001
  const xs = Float32Array.from({ length: n }, (_, i) => -9 + i * 0.001);
  const dys = new Float32Array(n).fill(1);
  const out = await unaryRun(ctx, 'gelu_erf', xs, dys);
  const want = unaryRef('gelu_erf', xs, dys, out.y);
  const y = assertClose(out.y, want.y, { atol: 3e-7, rtol: 4e-7 }, 'gelu_erf y');
  const d = assertClose(out.dx, want.dx, { atol: 3e-7, rtol: 4e-7 }, "gelu_erf'");
  console.log(
    `gelu_erf on [-9, 9]: y max abs err ${y.maxAbs.toExponential(2)}, dx max abs err ${d.maxAbs.toExponential(2)}`,
  );
});

test('NaN propagates through every unary op, forward and backward', async ({ ctx }) => {
  const xs = Float32Array.from([NaN, 0.5, -0.5, NaN, 1.5, 0]);
  const dys = Float32Array.from([0.3, NaN, 0.7, -0.2, 0.1, -0.4]);
  for (const op of UNARY) {
    const inputs = op === 'log' || op === 'sqrt' ? xs.map((v) => Math.abs(v)) : xs;
    const out = await unaryRun(ctx, op, inputs, dys);
    const want = unaryRef(op, inputs, dys, out.y);
    assertClose(out.y, want.y, UNARY_TOL, `${op} y`);
    assertClose(out.dx, want.dx, UNARY_TOL, `${op} dx`);
    for (const i of [0, 3]) assert(Number.isNaN(out.y[i]), `${op}(NaN) = ${out.y[i]} at ${i}`);
    assert(Number.isNaN(out.dx[1]), `${op}: a NaN dy gave dx = ${out.dx[1]}`);
    if (op !== 'affine') assert(Number.isNaN(out.dx[0]), `${op}: NaN saved value gave dx = ${out.dx[0]}`);
  }
});

test('log and sqrt of negative numbers are NaN, log(0) is -Infinity', async ({ ctx }) => {
  const xs = [-1, 0, 4];
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, xs, [3]);
    return { l: await unaryForward(rec, 'log', x), s: await unaryForward(rec, 'sqrt', x) };
  });
  assertClose(out.l, [NaN, -Infinity, Math.log(4)], { atol: 1e-6, rtol: 1e-6 }, 'log');
  assertClose(out.s, [NaN, 0, 2], { atol: 1e-6, rtol: 1e-6 }, 'sqrt');
});

test('affineInPlace computes x <- a*x + b in place (n = 1023)', async ({ ctx }) => {
  const n = 1023;
  const xs = randomArray(n, 9, -2, 2);
  xs[5] = NaN;
  const out = await runOps(ctx, async (rec) => ({ x: await affineInPlace(rec, upload(ctx, xs, [n]), 0.9, -0.1) }));
  assertClose(
    out.x,
    Float32Array.from(ref.unaryForward('affine', xs, { alpha: 0.9, beta: -0.1 })),
    { atol: 1e-6, rtol: 1e-6 },
    'x',
  );
});

// ---- binary --------------------------------------------------------------------------------

const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
const BCAST_CASES: [number[], number[]][] = [
  [[1], [1]],
  [[7], [7]],
  [[1023], [1]],
  [[4097], [4097]],
  [[45, 65], [65]],
  [
    [45, 1],
    [1, 65],
  ],
  [[65], [45, 65]],
  [
    [2, 3, 4, 5],
    [3, 1, 5],
  ],
  [[3, 4, 5], []],
  [
    [2, 1, 3, 1, 2],
    [1, 4, 1, 5, 1],
  ],
  [
    [2, 1, 2, 1, 2, 1, 2, 1],
    [2, 1, 2, 1, 2, 1, 2],
  ], // 8 axes that cannot merge
];
const FWD_TOL: Tolerance = { atol: 1e-6, rtol: 2e-6 }; // one rounding (div: 2.5 ULP)
const BWD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 }; // products plus f32 sums over ≤ 120 terms

function operand(shape: number[], seed: number, awayFromZero: boolean): Float32Array {
  const v = randomArray(numel(shape), seed, -2, 2);
  if (awayFromZero) for (let i = 0; i < v.length; i++) v[i] = Math.sign(v[i]!) * (0.5 + Math.abs(v[i]!) * 0.75);
  return v;
}

for (const op of BINARY) {
  test(`${op} broadcasting forward and backward match the reference`, async ({ ctx }) => {
    for (const [sa, sb] of BCAST_CASES) {
      const as = operand(sa, 1 + sa.length, false);
      const bs = operand(sb, 2 + sb.length, op === 'div');
      const want = ref.binaryForward(op, as, sa, bs, sb);
      const dys = randomArray(want.out.length, 3, -1, 1);
      const wantG = ref.binaryBackward(op, dys, as, sa, bs, sb);
      const out = await runOps(ctx, async (rec) => {
        const a = upload(ctx, as, sa);
        const b = upload(ctx, bs, sb);
        const c = await binaryForward(rec, op, a, b);
        assert(c.shape.join() === want.shape.join(), `output shape [${c.shape}], want [${want.shape}]`);
        const g = await binaryBackward(rec, op, upload(ctx, dys, want.shape), a, b);
        assert(
          g.da.shape.join() === sa.join() && g.db.shape.join() === sb.join(),
          `gradient shapes [${g.da.shape}], [${g.db.shape}]`,
        );
        return { c, da: g.da, db: g.db };
      });
      const what = `${op} [${sa}] ∘ [${sb}]`;
      assertClose(out.c, want.out, FWD_TOL, `${what} out`);
      assertClose(out.da, wantG.da, BWD_TOL, `${what} da`);
      assertClose(out.db, wantG.db, BWD_TOL, `${what} db`);
    }
  });
}

test('NaN in either operand gives NaN out for add, sub, mul, div', async ({ ctx }) => {
  const as = [NaN, 1, 2, NaN];
  const bs = [3, NaN, 0.5, NaN];
  for (const op of BINARY) {
    const out = await runOps(ctx, async (rec) => ({
      c: await binaryForward(rec, op, upload(ctx, as, [4]), upload(ctx, bs, [4])),
    }));
    assertClose(out.c, ref.binaryForward(op, as, [4], bs, [4]).out, FWD_TOL, `${op}`);
    for (const i of [0, 1, 3]) assert(Number.isNaN(out.c[i]), `${op}: element ${i} is ${out.c[i]}`);
  }
});

test('empty inputs give empty outputs and zero gradients for broadcast operands', async ({ ctx }) => {
  const out = await runOps(ctx, async (rec) => {
    const a = upload(ctx, [], [0, 3]);
    const b = upload(ctx, [1, 2, 3], [3]);
    const y = await unaryForward(rec, 'gelu', a);
    const c = await binaryForward(rec, 'mul', a, b);
    assert(y.shape.join() === '0,3' && c.shape.join() === '0,3', `shapes [${y.shape}] [${c.shape}]`);
    const g = await binaryBackward(rec, 'mul', upload(ctx, [], [0, 3]), a, b);
    const h = await binaryBackward(rec, 'add', upload(ctx, [], [0, 3]), a, b);
    return { db: g.db, hb: h.db };
  });
  assertClose(out.db, [0, 0, 0], { atol: 0, rtol: 0 }, 'mul db');
  assertClose(out.hb, [0, 0, 0], { atol: 0, rtol: 0 }, 'add db');
});

test('bad shapes and dtypes throw a clear error before any dispatch', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad' });
  const a = upload(ctx, new Float32Array(12), [3, 4]);
  const b = upload(ctx, new Float32Array(5), [5]);
  const ints = upload(ctx, new Int32Array(12), [3, 4], 'i32');
  const expectThrow = (what: string, f: () => Promise<unknown>, words: string[]): Promise<Error> =>
    assertRejects(what, f, words);
  await expectThrow('add [3,4] + [5]', () => binaryForward(rec, 'add', a, b), ['add', '[3, 4]', '[5]', 'broadcast']);
  await expectThrow('mul backward with wrong dy', () => binaryBackward(rec, 'mul', b, a, a), [
    'mul_backward',
    'dy',
    '[5]',
    '[3, 4]',
  ]);
  await expectThrow('relu of i32', () => unaryForward(rec, 'relu', ints), ['relu', 'i32', 'f32']);
  await expectThrow('tanh backward without y', () => unaryBackward(rec, 'tanh', a, null), ['tanh_backward', 'saved y']);
  await expectThrow('exp backward with mismatched y', () => unaryBackward(rec, 'exp', a, b), [
    'exp_backward',
    '[5]',
    '[3, 4]',
  ]);
  await expectThrow('out aliasing x', () => unaryForward(rec, 'exp', a, {}, a), ['exp', 'out']);
  await expectThrow('unknown op', () => unaryForward(rec, 'softplus' as UnaryOp, a), ['unknown unary op']);
  // alternating broadcast axes that cannot merge: 9 axes, past the kernel's 8
  const u = upload(ctx, new Float32Array(32), [2, 1, 2, 1, 2, 1, 2, 1, 2]);
  const v = upload(ctx, new Float32Array(16), [2, 1, 2, 1, 2, 1, 2, 1]);
  await expectThrow('rank 9 broadcast', () => binaryForward(rec, 'sub', u, v), ['sub', '9 axes', '8']);
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches were recorded`);
  rec.submit();
  for (const t of [a, b, ints, u, v]) t.release();
});

test('unary and binary kernels cover a flat grid split past maxComputeWorkgroupsPerDimension', async ({ ctx }) => {
  const n = (ctx.limits.maxComputeWorkgroupsPerDimension + 3) * 256; // > max workgroups of 256
  const xs = new Float32Array(n).fill(-2);
  const out = await runOps(ctx, async (rec) => {
    const x = upload(ctx, xs, [n]);
    const y = await unaryForward(rec, 'affine', x, { alpha: -1, beta: 1 });
    return { y, c: await binaryForward(rec, 'mul', y, upload(ctx, [0.5], [1])) };
  });
  let bad = -1;
  for (let i = 0; i < n && bad < 0; i++) if (out.y[i] !== 3 || out.c[i] !== 1.5) bad = i;
  assert(bad === -1, `element ${bad} not written after the grid split: y ${out.y[bad]}, c ${out.c[bad]}`);
});
