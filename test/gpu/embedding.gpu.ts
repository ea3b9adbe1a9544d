// embedding against its float64 reference: the gather, and the scatter-add backward with many
// repeated ids (runs that span many tiles), out-of-range ids, accumulation, workspace reuse,
// bit-identical results across runs, N = 0 and bad shapes.
import { test } from '../harness/gpu';
import { assert, assertClose, assertEqual, assertIdentical, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import {
  embeddingForward,
  embeddingBackward,
  scatterAddRows,
  EmbeddingWorkspace,
  scatterPlan,
} from '../../src/ops/embedding';
import * as ref from '../../src/reference/embedding';
import { Rng, randomArray } from '../../src/util/prng';

const GATHER_TOL = { atol: 0, rtol: 0 }; // a copy
// f32 sums of up to N terms in [-1, 1] against float64: error grows with the run length.
const sumTol = (N: number): { atol: number; rtol: number } => ({ atol: 2e-7 * Math.sqrt(N) + 1e-7, rtol: 1e-5 });

/** Ids with heavy repetition: a fraction `hot` of positions hit id 0 (like padding), the rest uniform. */
function makeIds(N: number, V: number, seed: number, hot = 0.3, bad = 0): Int32Array {
  const r = new Rng(seed);
  const ids = new Int32Array(N);
  for (let n = 0; n < N; n++) ids[n] = r.next() < hot ? 0 : r.int(V);
  const outside = [-1, V, 1 << 30, -(2 ** 31)];
  for (let i = 0; i < bad; i++) ids[r.int(N)] = outside[i % outside.length]!;
  return ids;
}

async function both(
  ctx: GpuContext,
  tableData: Float32Array,
  ids: Int32Array,
  V: number,
  D: number,
  douts: Float32Array,
  tile?: number,
): Promise<{ out: Float32Array; dtable: Float32Array }> {
  let ws: EmbeddingWorkspace | null = null;
  const r = await runOps(ctx, async (rec) => {
    const table = upload(ctx, tableData, [V, D]);
    const idt = upload(ctx, ids, [ids.length], 'i32');
    const dout = upload(ctx, douts, [ids.length, D]);
    const out = await embeddingForward(rec, table, idt);
    const b = await embeddingBackward(rec, dout, idt, V, { tile });
    ws = b.workspace;
    for (const t of [table, idt, dout]) t.release();
    return { out, dtable: b.dtable };
  });
  (ws as EmbeddingWorkspace | null)?.release();
  return r as { out: Float32Array; dtable: Float32Array };
}

const CASES: { V: number; D: number; N: number; bad?: number; tile?: number }[] = [
  { V: 1, D: 7, N: 45 },
  { V: 7, D: 1, N: 1 },
  { V: 7, D: 65, N: 1023, bad: 5 },
  { V: 7, D: 7, N: 5000, tile: 1 },
  { V: 1023, D: 1, N: 5000, bad: 9 },
  { V: 1023, D: 7, N: 7 },
  { V: 1023, D: 65, N: 4999, tile: 45 },
  { V: 50000, D: 3, N: 3000, bad: 2 }, // 16-bit keys: two 8-bit passes
  { V: 70000, D: 2, N: 2000 }, // 17-bit keys: three 6-bit passes
];

for (const c of CASES) {
  const name = `V=${c.V}, D=${c.D}, N=${c.N}${c.bad ? `, ${c.bad} out-of-range ids` : ''}${c.tile ? `, tile ${c.tile}` : ''}`;
  test(`embedding forward and backward match the reference (${name})`, async ({ ctx }) => {
    const seed = c.V * 7 + c.D * 3 + c.N;
    const table = randomArray(c.V * c.D, seed, -1, 1);
    const ids = makeIds(c.N, c.V, seed + 1, 0.3, c.bad ?? 0);
    const dout = randomArray(c.N * c.D, seed + 2, -1, 1);
    const got = await both(ctx, table, ids, c.V, c.D, dout, c.tile);
    assertClose(got.out, ref.embeddingForward(table, ids, c.V, c.D), GATHER_TOL, 'out');
    assertClose(got.dtable, ref.embeddingBackward(dout, ids, c.V, c.D), sumTol(c.N), 'dtable');
  });
}

test('embedding backward is bit-identical across 3 runs (V=1023, D=65, N=5000, 60% one id)', async ({ ctx }) => {
  const V = 1023;
  const D = 65;
  const N = 5000;
  const ids = makeIds(N, V, 77, 0.6, 3);
  const dout = randomArray(N * D, 78, -1, 1);
  const runs: Float32Array[] = [];
  const ws = new EmbeddingWorkspace(ctx, scatterPlan(N, V, D));
  for (let i = 0; i < 3; i++) {
    const r = await runOps(ctx, async (rec) => {
      const idt = upload(ctx, ids, [N], 'i32');
      const dt = upload(ctx, dout, [N, D]);
      const b = await embeddingBackward(rec, dt, idt, V, { workspace: ws });
      return { dtable: b.dtable };
    });
    runs.push(r.dtable as Float32Array);
  }
  ws.release();
  assertIdentical(runs[1]!, runs[0]!, 'run 2 vs run 1');
  assertIdentical(runs[2]!, runs[0]!, 'run 3 vs run 1');
  assertClose(runs[0]!, ref.embeddingBackward(dout, ids, V, D), sumTol(N), 'dtable');
});

test('embedding: scatterAddRows accumulates into existing rows; ids of shape (B, T)', async ({ ctx }) => {
  const V = 9;
  const D = 5;
  const B = 3;
  const T = 11;
  const ids = makeIds(B * T, V, 5);
  const src = randomArray(B * T * D, 6, -1, 1);
  const base = randomArray(V * D, 7, -1, 1);
  let ws: EmbeddingWorkspace | null = null;
  const r = await runOps(ctx, async (rec) => {
    const dst = upload(ctx, base, [V, D]);
    const res = await scatterAddRows(rec, upload(ctx, src, [B, T, D]), upload(ctx, ids, [B, T], 'i32'), dst);
    ws = res.workspace;
    const out = await embeddingForward(rec, dst, upload(ctx, ids, [B, T], 'i32'));
    assertEqual(out.shape.join('x'), `${B}x${T}x${D}`, 'gather shape');
    return { dst };
  });
  (ws as EmbeddingWorkspace | null)?.release();
  const want = ref.embeddingBackward(src, ids, V, D).map((g, i) => g + base[i]!);
  assertClose(r.dst, want, sumTol(B * T), 'dst after accumulate');
});

test('embedding: N = 0 gives an all-zero dtable and an empty gather', async ({ ctx }) => {
  const r = await runOps(ctx, async (rec) => {
    const table = upload(ctx, randomArray(12, 1), [4, 3]);
    const ids = upload(ctx, [], [0], 'i32');
    const out = await embeddingForward(rec, table, ids);
    const dt = upload(ctx, randomArray(12, 2), [4, 3]); // garbage that must be cleared
    const b = await embeddingBackward(rec, upload(ctx, [], [0, 3]), ids, 4, {}, dt);
    assert(b.workspace === null, 'no workspace for N = 0');
    return { out, dtable: b.dtable };
  });
  assertEqual(r.out.length, 0, 'gather length');
  assert(
    r.dtable.every((x) => x === 0),
    'dtable cleared',
  );
});

test('embedding: bad shapes, dtypes and workspaces throw before dispatch', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad-shapes' });
  const table = upload(ctx, new Float32Array(12), [4, 3]);
  const ids = upload(ctx, [0, 1], [2], 'i32');
  const idsF = upload(ctx, [0, 1], [2], 'f32');
  const dout = upload(ctx, new Float32Array(6), [2, 3]);
  const dout4 = upload(ctx, new Float32Array(8), [2, 4]);
  const flat = upload(ctx, new Float32Array(12), [12]);
  const small = new EmbeddingWorkspace(ctx, scatterPlan(1, 4, 3));
  const expect = (f: () => Promise<unknown>, pattern: RegExp): Promise<Error> => assertRejects('bad input', f, pattern);
  await expect(() => embeddingForward(rec, table, idsF), /embedding: ids \[2\] has dtype f32, expected i32/);
  await expect(() => embeddingForward(rec, flat, ids), /embedding: table has shape \[12\] \(rank 1\), expected rank 2/);
  await expect(() => embeddingForward(rec, table, ids, dout4), /embedding: out has shape \[2, 4\], expected \[2, 3\]/);
  await expect(
    () => embeddingBackward(rec, flat, ids, 4),
    /embedding_backward: dout has shape \[12\], expected ids' shape \[2\]/,
  );
  await expect(() => embeddingBackward(rec, dout, ids, 4, {}, dout4), /dtable has shape \[2, 4\], expected \[4, 3\]/);
  await expect(() => embeddingBackward(rec, dout, ids, -1), /V \(rows of the table\) must be a non-negative integer/);
  await expect(
    () => embeddingBackward(rec, dout, ids, 4, { workspace: small }),
    /workspace made for N=1.* too small for N=2/,
  );
  await expect(
    () => scatterAddRows(rec, dout4, ids, table),
    /scatter_add_rows: src has shape \[2, 4\], expected \[2, 3\]/,
  );
  assertEqual(rec.dispatches, 0, 'dispatches recorded before the errors');
  rec.submit();
  small.release();
  for (const t of [table, ids, idsF, dout, dout4, flat]) t.release();
});
