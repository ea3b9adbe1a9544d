// matmul against its float64 reference: every transposed form, every variant (register tiles
// shared across 4-lane subgroups, register tiles, workgroup-memory tiles), sizes that are not multiples of the tiles (1, 7, 45x37x65, 1023 rows),
// aligned and unaligned rows (vec4 and scalar loads), batches with a broadcast operand, the fused
// bias, NaN propagation, empty shapes, the backward (da, db, dbias) with a random upstream
// gradient, and shape errors thrown before any dispatch.
import { test } from '../harness/gpu';
import { assert, assertClose, type Tolerance, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { Recorder } from '../../src/gpu/recorder';
import type { GpuContext } from '../../src/gpu/device';
import type { Tensor } from '../../src/gpu/tensor';
import { matmulForward, matmulBackward } from '../../src/ops/matmul';
import { hasSubgroupsOf4, type MatmulTiles, type MatmulVariant } from '../../src/ops/matmul_kernel';
import * as ref from '../../src/reference/matmul';
import { randomArray } from '../../src/util/prng';

// f32 accumulation of K products of values in [-1, 1]: error grows like sqrt(K) ulps.
const tol = (K: number): Tolerance => ({ atol: 1e-5 * Math.sqrt(Math.max(K, 1)), rtol: 1e-5 });

interface Case {
  M: number;
  K: number;
  N: number;
  /** Batch size (a leading batch axis of the output); undefined = plain 2-D. */
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  broadcastA?: boolean;
  broadcastB?: boolean;
  bias?: boolean;
  variant?: MatmulVariant;
  tiles?: Partial<MatmulTiles>;
  backward?: boolean;
}

const name = (c: Case): string => {
  const form = `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}`;
  const batch =
    c.batch !== undefined
      ? ` batch ${c.batch}${c.broadcastA ? ' (a shared)' : ''}${c.broadcastB ? ' (b shared)' : ''}`
      : '';
  const epi = c.bias ? ' +bias' : '';
  const tiles = c.tiles ? ` ${JSON.stringify(c.tiles)}` : '';
  return `${form} ${c.M}x${c.K}x${c.N}${batch}${epi} [${c.variant ?? 'auto'}${tiles}]`;
};

function storedShape(c: Case, which: 'a' | 'b'): number[] {
  const m = which === 'a' ? (c.transA ? [c.K, c.M] : [c.M, c.K]) : c.transB ? [c.N, c.K] : [c.K, c.N];
  const shared = which === 'a' ? c.broadcastA : c.broadcastB;
  return c.batch !== undefined && !shared ? [c.batch, ...m] : m;
}

async function check(ctx: GpuContext, c: Case, seed = 1): Promise<void> {
  // The subgroup variant exists only where subgroups have 4 lanes (SwiftShader); elsewhere its
  // checks have nothing to run (the other variants are still checked).
  if (c.variant === 'subgroup' && !hasSubgroupsOf4(ctx)) return;
  const batch = c.batch ?? 1;
  const sa = storedShape(c, 'a');
  const sb = storedShape(c, 'b');
  const as = randomArray(
    sa.reduce((p, d) => p * d, 1),
    seed,
    -1,
    1,
  );
  const bs = randomArray(
    sb.reduce((p, d) => p * d, 1),
    seed + 1,
    -1,
    1,
  );
  const biasv = c.bias ? randomArray(c.N, seed + 2, -1, 1) : null;
  const dims: ref.MatmulDims = {
    batch,
    M: c.M,
    K: c.K,
    N: c.N,
    transA: c.transA,
    transB: c.transB,
    broadcastA: c.broadcastA,
    broadcastB: c.broadcastB,
  };
  const opts = { transA: c.transA, transB: c.transB, variant: c.variant, tiles: c.tiles };
  const dys = randomArray(batch * c.M * c.N, seed + 3, -1, 1);
  const out = await runOps(ctx, async (rec) => {
    const a = upload(ctx, as, sa);
    const b = upload(ctx, bs, sb);
    const bias = biasv ? upload(ctx, biasv, [c.N]) : null;
    const y = await matmulForward(rec, a, b, { ...opts, bias });
    const outs: Record<string, Tensor> = { y };
    if (c.backward) {
      const g = await matmulBackward(rec, upload(ctx, dys, y.shape), a, b, { ...opts, bias });
      Object.assign(outs, { da: g.da, db: g.db }, g.dbias ? { dbias: g.dbias } : {});
    }
    return outs;
  });
  const K = c.K;
  assertClose(out.y!, ref.matmulForward(as, bs, dims, biasv), tol(K), `${name(c)} y`);
  if (!c.backward) return;
  const g = ref.matmulBackward(dys, as, bs, dims, biasv);
  // da sums N products (x batch when a is shared), db sums M (x batch when b is shared).
  assertClose(out.da!, g.da, tol(c.N * (c.broadcastA ? batch : 1)), `${name(c)} da`);
  assertClose(out.db!, g.db, tol(c.M * (c.broadcastB ? batch : 1)), `${name(c)} db`);
  if (g.dbias) assertClose(out.dbias!, g.dbias, tol(c.M * batch), `${name(c)} dbias`);
}

const FORMS = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];
const VARIANTS: MatmulVariant[] = ['subgroup', 'register', 'shared'];

// Pipelines are specialised on the forms and on whether rows are multiples of 4, and each costs
// up to a second to compile on SwiftShader. Shapes below keep to two kinds so that most checks
// reuse a pipeline: all of M, K, N odd (scalar loads, a K tail, clamped edges), and all multiples
// of 4 but not of the tiles (vec4 loads).
for (const variant of VARIANTS) {
  test(`matmul sizes 1x1x1, 7x7x7, 45x37x65, 1023x61x131 [${variant}]`, async ({ ctx }) => {
    for (const [M, K, N] of [
      [1, 1, 1],
      [7, 7, 7],
      [45, 37, 65],
      [1023, 61, 131],
    ] as const)
      await check(ctx, { M, K, N, variant });
  });

  test(`matmul every transposed form with scalar and vec4 loads [${variant}]`, async ({ ctx }) => {
    for (const f of FORMS) {
      for (const [M, K, N] of [
        [45, 37, 65],
        [44, 36, 68],
      ] as const)
        await check(ctx, { M, K, N, ...f, variant });
    }
  });

  test(`matmul batched, with a shared a or b [${variant}]`, async ({ ctx }) => {
    await check(ctx, { M: 13, K: 21, N: 17, batch: 3, variant });
    await check(ctx, { M: 13, K: 21, N: 17, batch: 3, broadcastB: true, transB: true, variant });
    await check(ctx, { M: 11, K: 21, N: 17, batch: 2, broadcastA: true, transA: true, variant });
  });

  test(`matmul backward of every form, batched, shared operands, bias [${variant}]`, async ({ ctx }) => {
    for (const f of FORMS) await check(ctx, { M: 19, K: 23, N: 29, ...f, backward: true, variant });
    await check(ctx, { M: 9, K: 11, N: 13, batch: 3, bias: true, backward: true, variant });
    await check(ctx, { M: 9, K: 11, N: 13, batch: 3, broadcastB: true, transB: true, backward: true, variant });
    await check(ctx, { M: 9, K: 11, N: 13, batch: 2, broadcastA: true, transA: true, backward: true, variant });
  });
}

test('matmul mixed alignment: vec4 loads on one operand, scalar on the other', async ({ ctx }) => {
  await check(ctx, { M: 45, K: 36, N: 65 }); // a vec4 (K % 4 = 0), b scalar
  await check(ctx, { M: 44, K: 37, N: 65, transA: true, transB: true }); // a vec4 (M % 4 = 0), b scalar, K tail
  await check(ctx, { M: 45, K: 37, N: 64, transA: true, variant: 'shared' }); // a scalar, b vec4
});

test('matmul fused bias, forward and backward', async ({ ctx }) => {
  await check(ctx, { M: 21, K: 20, N: 33, bias: true, backward: true });
  await check(ctx, { M: 9, K: 11, N: 13, batch: 2, broadcastB: true, bias: true, backward: true, variant: 'register' });
  await check(ctx, { M: 9, K: 11, N: 13, batch: 2, broadcastB: true, bias: true, backward: true, variant: 'shared' });
});

test('matmul tile shapes: blocks of 4x4 to 16x8, workgroup sizes, tile depths', async ({ ctx }) => {
  const cases: [MatmulVariant, Partial<MatmulTiles>][] = [
    ['subgroup', { rm: 1, rn: 1, wgX: 4 }],
    ['subgroup', { rm: 2, rn: 2, wgX: 4, wgY: 4 }],
    ['subgroup', { rm: 4, rn: 1, wgX: 12, wgY: 2 }],
    ['register', { rm: 1, rn: 1, wgX: 4, wgY: 8 }],
    ['register', { rm: 2, rn: 1, wgX: 16, wgY: 4 }],
    ['register', { rm: 1, rn: 2 }],
    ['shared', { tk: 4 }],
    ['shared', { tk: 8, rm: 2, rn: 1, wgX: 8, wgY: 4 }],
    ['shared', { tk: 32, rm: 2, rn: 2, wgX: 8, wgY: 8 }],
  ];
  for (const [variant, tiles] of cases) await check(ctx, { M: 45, K: 37, N: 65, transB: true, tiles, variant });
});

test('matmul large K and the two-pass bias gradient', async ({ ctx }) => {
  await check(ctx, { M: 5, K: 1023, N: 7, transA: true });
  await check(ctx, { M: 61, K: 5, N: 7, batch: 5, bias: true, backward: true }); // 305 rows: colsum in 2 passes
});

test('matmul propagates NaN from a and b into exactly the affected outputs', async ({ ctx }) => {
  const [M, K, N] = [9, 13, 11];
  const cases = VARIANTS.flatMap((variant) => FORMS.map((f) => ({ ...f, variant })));
  for (const { variant, ...f } of cases) {
    if (variant === 'subgroup' && !hasSubgroupsOf4(ctx)) continue;
    const as = randomArray(M * K, 5, -1, 1);
    const bs = randomArray(K * N, 6, -1, 1);
    // op(A)[2][4] and op(B)[7][3] are NaN: row 2 and column 3 of C are NaN, the rest finite.
    as[f.transA ? 4 * M + 2 : 2 * K + 4] = NaN;
    bs[f.transB ? 3 * K + 7 : 7 * N + 3] = NaN;
    const out = await runOps(ctx, async (rec) => ({
      y: await matmulForward(
        rec,
        upload(ctx, as, f.transA ? [K, M] : [M, K]),
        upload(ctx, bs, f.transB ? [N, K] : [K, N]),
        { ...f, variant },
      ),
    }));
    const what = `${variant} ${f.transA ? 'T' : 'N'}${f.transB ? 'T' : 'N'}`;
    for (let i = 0; i < M * N; i++) {
      const nan = Math.floor(i / N) === 2 || i % N === 3;
      assert(Number.isNaN(out.y[i]!) === nan, `${what}: element ${i} is ${out.y[i]}, NaN expected: ${nan}`);
    }
    assertClose(out.y, ref.matmulForward(as, bs, { batch: 1, M, K, N, ...f }, null), tol(K), what);
  }
});

test('matmul empty shapes: M = 0, N = 0, K = 0 (out = bias), batch 0', async ({ ctx }) => {
  await check(ctx, { M: 0, K: 5, N: 3, backward: true });
  await check(ctx, { M: 5, K: 7, N: 0, backward: true });
  await check(ctx, { M: 5, K: 0, N: 7, bias: true });
  await check(ctx, { M: 3, K: 5, N: 7, batch: 0, broadcastB: true, bias: true, backward: true }); // db = 0, dbias = 0
});

test('matmul writes into a given out tensor and is deterministic', async ({ ctx }) => {
  const [M, K, N] = [45, 37, 65];
  const as = randomArray(M * K, 8, -2, 2);
  const bs = randomArray(K * N, 9, -2, 2);
  const run = () =>
    runOps(ctx, async (rec) => {
      const out = upload(ctx, new Float32Array(M * N).fill(7), [M, N]);
      const y = await matmulForward(rec, upload(ctx, as, [M, K]), upload(ctx, bs, [K, N]), {}, out);
      assert(y === out, 'matmulForward returned a new tensor instead of out');
      return { y };
    });
  const [r1, r2] = [await run(), await run()];
  assertClose(r1.y, ref.matmulForward(as, bs, { batch: 1, M, K, N }), tol(4 * K), 'y into out');
  for (let i = 0; i < M * N; i++) assert(Object.is(r1.y[i], r2.y[i]), `element ${i} differs between two runs`);
});

test('matmul rejects bad shapes before dispatching anything', async ({ ctx }) => {
  const t = (shape: number[]): Tensor => upload(ctx, new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
  const rec = new Recorder(ctx, { label: 'errors' });
  const expectThrow = (what: string, f: () => Promise<unknown>, pattern: RegExp): Promise<Error> =>
    assertRejects(what, f, pattern);
  await expectThrow(
    'inner dims',
    () => matmulForward(rec, t([4, 5]), t([6, 3])),
    /^matmul: inner dimensions differ.*\[4, 5\].*K = 5.*\[6, 3\].*K = 6/,
  );
  await expectThrow(
    'transB inner dims',
    () => matmulForward(rec, t([4, 5]), t([5, 3]), { transB: true }),
    /inner dimensions differ.*b stored \(N, K\)/,
  );
  await expectThrow(
    'batch dims',
    () => matmulForward(rec, t([2, 4, 5]), t([3, 5, 3])),
    /batch dimensions.*\[2, 4, 5\].*\[3, 5, 3\]/,
  );
  await expectThrow('rank 1', () => matmulForward(rec, t([5]), t([5, 3])), /rank >= 2/);
  await expectThrow(
    'bias shape',
    () => matmulForward(rec, t([4, 5]), t([5, 3]), { bias: t([4]) }),
    /bias has shape \[4\], expected \[3\]/,
  );
  await expectThrow(
    'out shape',
    () => matmulForward(rec, t([4, 5]), t([5, 3]), {}, t([3, 4])),
    /out has shape \[3, 4\], expected \[4, 3\]/,
  );
  await expectThrow(
    'dout shape',
    () => matmulBackward(rec, t([4, 4]), t([4, 5]), t([5, 3])),
    /dout has shape \[4, 4\], expected \[4, 3\]/,
  );
  await expectThrow('tiles', () => matmulForward(rec, t([4, 5]), t([5, 3]), { tiles: { rm: 3 } }), /rm must be one of/);
  await expectThrow(
    'workgroup size',
    () => matmulForward(rec, t([4, 5]), t([5, 3]), { tiles: { wgX: 64, wgY: 64 } }),
    /maxComputeInvocationsPerWorkgroup/,
  );
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches were recorded by failing calls`);
  rec.submit();
});
