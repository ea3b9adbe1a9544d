// cross_entropy against its float64 reference: per-row loss, the mean over counted rows and
// dlogits scaled by a random upstream dloss, for both row mappings (one invocation per row, and
// a row shared by many invocations), with ignored rows, a large-logit row, all rows ignored,
// NaN logits, out-of-range targets and bad shapes.
import { test } from '../harness/gpu';
import { assert, assertClose, assertEqual, assertRejects } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import {
  crossEntropyForward,
  crossEntropyBackward,
  crossEntropyFused,
  DEFAULT_IGNORE_INDEX as IGNORE,
} from '../../src/ops/cross_entropy';
import * as ref from '../../src/reference/cross_entropy';
import { randomArray, randomInts } from '../../src/util/prng';

// f32 logsumexp: m + log(Σ exp) carries ~|m|·2^-24 plus the rounding of a V-term sum.
const LOSS_TOL = { atol: 2e-5, rtol: 2e-5 };
const MEAN_TOL = { atol: 1e-5, rtol: 1e-5 };
// dlogits ≈ scale · (p − onehot) with scale = dloss/count: relative error of exp and of the sum.
const GRAD_TOL = { atol: 1e-8, rtol: 1e-4 };

interface Case {
  logits: Float32Array;
  targets: Int32Array;
  R: number;
  V: number;
}

function makeCase(R: number, V: number, seed: number): Case {
  const logits = randomArray(R * V, seed, -2, 2);
  const targets = randomInts(R, V, seed + 1);
  for (let r = 0; r < R; r += 5) targets[r] = IGNORE; // rows 0, 5, 10, … are padding
  if (R > 1) {
    for (let j = 0; j < V; j++) logits[V + j] = j % 3 === 0 ? 80 : -80; // row 1: large logits
  }
  return { logits, targets, R, V };
}

async function fused(
  ctx: GpuContext,
  c: Case,
  dlossValue: number,
  tpr?: number,
): Promise<Record<string, Float32Array>> {
  const out = await runOps(ctx, async (rec) => {
    const logits = upload(ctx, c.logits, [c.R, c.V]);
    const targets = upload(ctx, c.targets, [c.R], 'i32');
    const dloss = upload(ctx, [dlossValue], [1]);
    const r = await crossEntropyFused(rec, logits, targets, { dloss, threadsPerRow: tpr });
    return { loss: r.loss, losses: r.losses, stats: r.stats, dlogits: r.dlogits };
  });
  return out as Record<string, Float32Array>;
}

function check(c: Case, got: Record<string, Float32Array>, dloss: number, what: string): void {
  const f = ref.crossEntropyForward(c.logits, c.targets, c.R, c.V, IGNORE);
  assertClose(got.losses!, f.losses, LOSS_TOL, `${what} losses`);
  assertClose(got.loss!, [f.loss], MEAN_TOL, `${what} mean loss`);
  assertEqual(got.stats![0], f.count, `${what} count`);
  assertClose(
    got.dlogits!,
    ref.crossEntropyBackward(dloss, c.logits, c.targets, c.R, c.V, IGNORE),
    GRAD_TOL,
    `${what} dlogits`,
  );
}

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 5000],
  [7, 7],
  [7, 1023],
  [45, 65],
  [45, 5000],
  [1023, 7],
  [1023, 65],
  [1023, 1023],
];

for (const [R, V] of SHAPES) {
  test(`cross_entropy fused matches the reference (R=${R}, V=${V}, one invocation per row)`, async ({ ctx }) => {
    const c = makeCase(R, V, 100 + R + V);
    check(c, await fused(ctx, c, 0.73, 1), 0.73, 'tpr=1');
  });
}

for (const [R, V, tpr] of [
  [7, 1023, 256],
  [45, 65, 32],
  [1023, 7, 4],
] as const) {
  test(`cross_entropy fused matches the reference (R=${R}, V=${V}, ${tpr} invocations per row)`, async ({ ctx }) => {
    const c = makeCase(R, V, 200 + R + V);
    check(c, await fused(ctx, c, -1.9, tpr), -1.9, `tpr=${tpr}`);
  });
}

test('cross_entropy forward and backward apart equal the fused pass; no dloss means dloss = 1', async ({ ctx }) => {
  const c = makeCase(45, 65, 7);
  const dl = 0.41;
  const out = await runOps(ctx, async (rec) => {
    const logits = upload(ctx, c.logits, [c.R, c.V]);
    const targets = upload(ctx, c.targets, [c.R], 'i32');
    const dloss = upload(ctx, [dl], [1]);
    const f = await crossEntropyForward(rec, logits, targets);
    const dlogits = await crossEntropyBackward(rec, dloss, logits, targets, f.stats);
    const unit = await crossEntropyFused(rec, logits, targets);
    return { loss: f.loss, losses: f.losses, stats: f.stats, dlogits, unitGrad: unit.dlogits };
  });
  check(c, out as Record<string, Float32Array>, dl, 'separate');
  assertClose(out.stats, [out.stats[0]!, dl / out.stats[0]!], { atol: 0, rtol: 1e-6 }, 'stats = [count, dloss/count]');
  assertClose(
    out.unitGrad,
    ref.crossEntropyBackward(1, c.logits, c.targets, c.R, c.V, IGNORE),
    GRAD_TOL,
    'dlogits without dloss',
  );
});

test('cross_entropy with every row ignored: mean 0 (not NaN), losses and dlogits 0', async ({ ctx }) => {
  const R = 7;
  const V = 9;
  const c = { logits: randomArray(R * V, 3, -2, 2), targets: new Int32Array(R).fill(IGNORE), R, V };
  const out = await fused(ctx, c, 0.5);
  assertEqual(out.loss![0], 0, 'mean loss');
  assertEqual(out.stats![0], 0, 'count');
  assert(out.losses!.every((x) => x === 0) && out.dlogits!.every((x) => x === 0), 'losses and dlogits are all 0');
});

for (const tpr of [1, 8]) {
  test(`cross_entropy: NaN logits poison their row and the mean unless the row is ignored (${tpr} invocations per row)`, async ({
    ctx,
  }) => {
    const R = 4;
    const V = 33;
    const c = makeCase(R, V, 9); // row 0 ignored, row 1 large
    c.logits[2 * V + 17] = NaN; // counted row 2
    c.logits[0 * V + 3] = NaN; // ignored row 0
    const out = await fused(ctx, c, 1.3, tpr);
    assert(
      Number.isNaN(out.losses![2]!) && Number.isNaN(out.loss![0]!),
      `row 2 loss ${out.losses![2]} and mean ${out.loss![0]} must be NaN`,
    );
    assert(out.dlogits!.slice(2 * V, 3 * V).every(Number.isNaN), 'row 2 dlogits all NaN');
    assert(out.losses![0] === 0 && out.dlogits!.slice(0, V).every((x) => x === 0), 'ignored row 0 stays 0');
    const want = ref.crossEntropyForward(c.logits, c.targets, R, V, IGNORE).losses;
    assertClose([out.losses![1]!, out.losses![3]!], [want[1]!, want[3]!], LOSS_TOL, 'clean rows 1 and 3');
  });
}

test('cross_entropy: out-of-range targets read nothing out of bounds and flag NaN', async ({ ctx }) => {
  const R = 5;
  const V = 6;
  const c = { logits: randomArray(R * V, 4, -2, 2), targets: Int32Array.from([2, V, -1, IGNORE, 1 << 30]), R, V };
  const out = await fused(ctx, c, 1);
  check(c, out, 1, 'bad targets');
  assert([1, 2, 4].every((r) => Number.isNaN(out.losses![r]!)) && out.stats![0] === 4, 'rows 1, 2, 4 NaN and counted');
});

test('cross_entropy: a custom ignore index (-1); the default -100 is then an out-of-range target', async ({ ctx }) => {
  const R = 6;
  const V = 10;
  const logits = randomArray(R * V, 12, -2, 2);
  const targets = Int32Array.from([3, -1, 9, -100, -1, 0]);
  const out = await runOps(ctx, async (rec) => {
    const r = await crossEntropyFused(rec, upload(ctx, logits, [R, V]), upload(ctx, targets, [R], 'i32'), {
      ignoreIndex: -1,
    });
    return { losses: r.losses, stats: r.stats, dlogits: r.dlogits };
  });
  assertClose(out.losses, ref.crossEntropyForward(logits, targets, R, V, -1).losses, LOSS_TOL, 'losses');
  assertClose(out.dlogits, ref.crossEntropyBackward(1, logits, targets, R, V, -1), GRAD_TOL, 'dlogits');
  assert(out.stats[0] === 4 && Number.isNaN(out.losses[3]!), 'rows 1 and 4 ignored; row 3 (-100) counted and NaN');
});

test('cross_entropy: R = 0 gives a mean of 0 and empty outputs', async ({ ctx }) => {
  const out = await fused(ctx, { logits: new Float32Array(0), targets: new Int32Array(0), R: 0, V: 5 }, 1);
  assertEqual(out.loss![0], 0, 'mean loss');
  assertEqual(out.dlogits!.length, 0, 'dlogits length');
});

test('cross_entropy: bad shapes and options throw before dispatch', async ({ ctx }) => {
  const rec = new Recorder(ctx, { label: 'bad-shapes' });
  const logits = upload(ctx, new Float32Array(12), [3, 4]);
  const t3 = upload(ctx, [0, 1, 2], [3], 'i32');
  const t4 = upload(ctx, [0, 1, 2, 3], [4], 'i32');
  const tf = upload(ctx, [0, 1, 2], [3], 'f32');
  const flat = upload(ctx, new Float32Array(12), [12]);
  const dl2 = upload(ctx, [1, 1], [2]);
  const expect = (f: () => Promise<unknown>, pattern: RegExp): Promise<Error> => assertRejects('bad input', f, pattern);
  await expect(() => crossEntropyFused(rec, logits, t4), /cross_entropy: targets has shape \[4\], expected \[3\]/);
  await expect(() => crossEntropyFused(rec, logits, tf), /targets .* has dtype f32, expected i32/);
  await expect(() => crossEntropyFused(rec, flat, t3), /logits has shape \[12\] \(rank 1\), expected rank 2/);
  await expect(() => crossEntropyFused(rec, logits, t3, { dloss: dl2 }), /dloss has shape \[2\], expected one element/);
  await expect(() => crossEntropyFused(rec, logits, t3, { threadsPerRow: 3 }), /threadsPerRow must be a power of two/);
  await expect(
    () => crossEntropyForward(rec, logits, t3, {}, { losses: t4 }),
    /out.losses has shape \[4\], expected \[3\]/,
  );
  assertEqual(rec.dispatches, 0, 'dispatches recorded before the errors');
  rec.submit();
  for (const t of [logits, t3, t4, tf, flat, dl2]) t.release();
});
