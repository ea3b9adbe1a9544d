// attention against its float64 reference: forward (out, logsumexp) and all three gradients with
// random upstream gradients, on shapes that are not multiples of the row/key blocks, causal and
// not, Tq ≠ Tk, key padding with fully padded batches, both kernel variants, NaN propagation,
// empty inputs and shape errors before dispatch.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical, type Tolerance } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import { attentionForward, attentionBackward, type AttentionOptions } from '../../src/ops/attention';
import * as ref from '../../src/reference/attention';
import { randomArray } from '../../src/util/prng';

// f32 accumulation over up to d·Tk products of inputs in [-2, 2] (scores up to ±32 for d = 64)
// against float64: a few ulps of the largest partial sums (observed max abs error ~1.3e-6).
const OUT_TOL: Tolerance = { atol: 5e-6, rtol: 1e-4 };
const GRAD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-3 };

interface Case extends ref.AttentionShape {
  causal?: boolean;
  kvLen?: number[];
  tile?: boolean;
  wg?: number;
  bk?: number;
  scale?: number;
}

function label(c: Case): string {
  const bits = [`B=${c.B} H=${c.H} Tq=${c.Tq}${c.Tk !== c.Tq ? ` Tk=${c.Tk}` : ''} d=${c.d}`];
  if (c.causal) bits.push('causal');
  if (c.kvLen) bits.push(`kvLen=[${c.kvLen.join(',')}]`);
  if (c.tile) bits.push(`tiled wg=${c.wg ?? 64} bk=${c.bk ?? 16}`);
  else if (c.wg || c.bk) bits.push(`wg=${c.wg ?? 64} bk=${c.bk ?? 16}`);
  return bits.join(' ');
}

interface Inputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dout: Float32Array;
}

function inputs(c: Case, seed: number): Inputs {
  const nq = c.B * c.H * c.Tq * c.d;
  const nk = c.B * c.H * c.Tk * c.d;
  return {
    q: randomArray(nq, seed, -2, 2),
    k: randomArray(nk, seed + 1, -2, 2),
    v: randomArray(nk, seed + 2, -2, 2),
    dout: randomArray(nq, seed + 3, -1, 1),
  };
}

async function runGpu(ctx: GpuContext, c: Case, x: Inputs) {
  return runOps(ctx, async (rec) => {
    const q = upload(ctx, x.q, [c.B, c.H, c.Tq, c.d]);
    const k = upload(ctx, x.k, [c.B, c.H, c.Tk, c.d]);
    const v = upload(ctx, x.v, [c.B, c.H, c.Tk, c.d]);
    const dout = upload(ctx, x.dout, [c.B, c.H, c.Tq, c.d]);
    const o: AttentionOptions = { causal: c.causal, tile: c.tile, wg: c.wg, bk: c.bk, scale: c.scale };
    if (c.kvLen) o.kvLen = upload(ctx, c.kvLen, [c.B], 'i32');
    const f = await attentionForward(rec, q, k, v, o);
    const g = await attentionBackward(rec, dout, q, k, v, f.out, f.lse, o);
    return {
      out: f.out,
      lse: f.lse,
      dq: g.dq,
      dk: g.dk,
      dv: g.dv,
      stats: g.stats,
      q,
      k,
      v,
      dout,
      ...(o.kvLen ? { kvLen: o.kvLen } : {}),
    };
  });
}

async function check(ctx: GpuContext, c: Case, seed: number, x = inputs(c, seed)) {
  const got = await runGpu(ctx, c, x);
  const m = { causal: c.causal, kvLen: c.kvLen, scale: c.scale };
  const f = ref.attentionForward(x.q, x.k, x.v, c, m);
  const g = ref.attentionBackward(x.dout, x.q, x.k, x.v, c, m);
  assertClose(got.out, f.out, OUT_TOL, 'out');
  assertClose(got.lse, f.lse, OUT_TOL, 'lse');
  assertClose(got.dq, g.dq, GRAD_TOL, 'dq');
  assertClose(got.dk, g.dk, GRAD_TOL, 'dk');
  assertClose(got.dv, g.dv, GRAD_TOL, 'dv');
  return got;
}

const CASES: Case[] = [
  { B: 1, H: 1, Tq: 1, Tk: 1, d: 8 },
  { B: 1, H: 2, Tq: 7, Tk: 7, d: 16, causal: true },
  { B: 2, H: 3, Tq: 45, Tk: 45, d: 32 },
  { B: 2, H: 3, Tq: 45, Tk: 45, d: 32, causal: true },
  { B: 1, H: 1, Tq: 130, Tk: 130, d: 64, causal: true },
  { B: 1, H: 1, Tq: 130, Tk: 130, d: 64 },
  // Tq ≠ Tk (causal is bottom-right aligned: with Tq > Tk the first rows see nothing), custom scale
  { B: 1, H: 2, Tq: 5, Tk: 19, d: 8, causal: true },
  { B: 1, H: 2, Tq: 19, Tk: 5, d: 8, causal: true, scale: 0.3 },
  { B: 2, H: 1, Tq: 9, Tk: 33, d: 16 },
  // key padding: one batch full, one partly and one fully padded (its rows see no key)
  { B: 3, H: 2, Tq: 21, Tk: 21, d: 16, kvLen: [21, 6, 0] },
  { B: 3, H: 2, Tq: 21, Tk: 21, d: 16, kvLen: [40, 13, -3], causal: true },
  // several workgroups and blocks per head, blocks cut by the masks
  { B: 1, H: 2, Tq: 37, Tk: 37, d: 8, causal: true, kvLen: [30], wg: 16, bk: 5 },
  { B: 1, H: 1, Tq: 9, Tk: 9, d: 128 },
  // the shared-memory variant
  { B: 2, H: 3, Tq: 45, Tk: 45, d: 32, tile: true },
  { B: 1, H: 2, Tq: 37, Tk: 37, d: 8, causal: true, kvLen: [30], tile: true, wg: 16, bk: 5 },
  { B: 3, H: 1, Tq: 21, Tk: 26, d: 16, kvLen: [26, 6, 0], causal: true, tile: true, wg: 4, bk: 11 },
];

CASES.forEach((c, n) => {
  test(`attention forward and backward match the reference (${label(c)})`, async ({ ctx }) => {
    await check(ctx, c, 100 + 10 * n);
  });
});

test('attention rows that see no key give zeros, not NaN, forward and backward', async ({ ctx }) => {
  const c: Case = { B: 2, H: 2, Tq: 6, Tk: 4, d: 8, causal: true, kvLen: [4, 0] };
  const got = await check(ctx, c, 7);
  const rowsSeeingNothing = (b: number, i: number): boolean => ref.visibleKeys(c, c, b, i) === 0;
  let zeroRows = 0;
  for (let b = 0; b < c.B; b++) {
    for (let h = 0; h < c.H; h++) {
      for (let i = 0; i < c.Tq; i++) {
        if (!rowsSeeingNothing(b, i)) continue;
        zeroRows++;
        const r = (b * c.H + h) * c.Tq + i;
        assert(got.lse[r] === -Infinity, `lse row ${r} = ${got.lse[r]}, want −∞`);
        for (let e = 0; e < c.d; e++)
          assert(got.out[r * c.d + e] === 0 && got.dq[r * c.d + e] === 0, `row ${r} out/dq not zero`);
      }
    }
  }
  assert(zeroRows === 2 * 2 + 2 * 6, `expected 16 rows that see no key, found ${zeroRows}`);
  for (const t of [got.out, got.dq, got.dk, got.dv])
    assert(!Array.from(t).some(Number.isNaN), 'NaN in a masked result');
});

test('attention propagates NaN from q, k and v to exactly the rows that use them', async ({ ctx }) => {
  const c: Case = { B: 1, H: 2, Tq: 11, Tk: 11, d: 8, causal: true };
  for (const [which, at] of [
    ['q', 3 * 8 + 2],
    ['k', 5 * 8 + 1],
    ['v', 11 * 8 + 7 * 8 + 4],
  ] as const) {
    for (const tile of [false, true]) {
      const x = inputs(c, 55);
      x[which][at] = NaN;
      await check(ctx, { ...c, tile, wg: 4, bk: 3 }, 0, x);
    }
  }
});

test('attention is deterministic: two runs give bit-identical results', async ({ ctx }) => {
  const c: Case = { B: 1, H: 2, Tq: 45, Tk: 45, d: 16, causal: true };
  const x = inputs(c, 77);
  const a = await runGpu(ctx, c, x);
  const b = await runGpu(ctx, c, x);
  for (const n of ['out', 'lse', 'dq', 'dk', 'dv'] as const) assertIdentical(a[n], b[n], n);
});

test('attention splits a flat grid past maxComputeWorkgroupsPerDimension', async ({ ctx }) => {
  const H = ctx.limits.maxComputeWorkgroupsPerDimension + 5; // one workgroup per (b, h) at wg = 1
  await check(ctx, { B: 1, H, Tq: 1, Tk: 2, d: 4, wg: 1 }, 9);
});

test('attention on empty inputs returns empty or zero outputs', async ({ ctx }) => {
  for (const [B, Tq, Tk] of [
    [0, 4, 4],
    [1, 0, 5],
    [1, 3, 0],
  ] as const) {
    const c: Case = { B, H: 2, Tq, Tk, d: 8 };
    const got = await runGpu(ctx, c, inputs(c, 3));
    assert(got.out.length === B * 2 * Tq * 8, 'out size');
    assert(
      Array.from(got.out).every((x) => x === 0) && Array.from(got.dq).every((x) => x === 0),
      'out and dq are zero',
    );
    assert(Array.from(got.dk).every((x) => x === 0) && Array.from(got.dv).every((x) => x === 0), 'dk and dv are zero');
    assert(
      Array.from(got.lse).every((x) => x === -Infinity),
      'lse is −∞ with no keys',
    );
  }
});

test('attention rejects bad shapes and options before dispatching', async ({ ctx }) => {
  const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') =>
    upload(ctx, new Array(shape.reduce((a, b) => a * b, 1)).fill(0), shape, dtype);
  const q = t([2, 3, 5, 8]);
  const kv = t([2, 3, 6, 8]);
  const rec = new Recorder(ctx, { label: 'bad shapes' });
  const bad: [string, (r: Recorder) => Promise<unknown>, RegExp][] = [
    [
      'k head dim',
      (r) => attentionForward(r, q, t([2, 3, 6, 16]), t([2, 3, 6, 16])),
      /k \[2, 3, 6, 16\] does not match q \[2, 3, 5, 8\]/,
    ],
    [
      'v shape',
      (r) => attentionForward(r, q, kv, t([2, 3, 5, 8])),
      /v has shape \[2, 3, 5, 8\], expected \[2, 3, 6, 8\]/,
    ],
    ['rank', (r) => attentionForward(r, t([3, 5, 8]), kv, kv), /\(rank 3\), expected rank 4/],
    [
      'd > 128',
      (r) => attentionForward(r, t([1, 1, 2, 132]), t([1, 1, 2, 132]), t([1, 1, 2, 132])),
      /d = 132 .* past the limit 128/,
    ],
    ['d % 4', (r) => attentionForward(r, t([1, 1, 2, 6]), t([1, 1, 2, 6]), t([1, 1, 2, 6])), /must be a multiple of 4/],
    [
      'kvLen shape',
      (r) => attentionForward(r, q, kv, kv, { kvLen: t([3], 'i32') }),
      /kvLen has shape \[3\], expected \[2\]/,
    ],
    ['kvLen dtype', (r) => attentionForward(r, q, kv, kv, { kvLen: t([2]) }), /kvLen .* dtype f32, expected i32/],
    ['bk', (r) => attentionForward(r, q, kv, kv, { bk: 0 }), /bk must be an integer in \[1, 1024\]/],
    [
      'tile memory',
      (r) => attentionForward(r, q, kv, kv, { tile: true, bk: 1024 }),
      /past the device limit maxComputeWorkgroupStorageSize/,
    ],
    [
      'dout shape',
      (r) => attentionBackward(r, kv, q, kv, kv, q, t([2, 3, 5])),
      /dout has shape \[2, 3, 6, 8\], expected \[2, 3, 5, 8\]/,
    ],
    [
      'lse shape',
      (r) => attentionBackward(r, q, q, kv, kv, q, t([2, 3, 6])),
      /lse has shape \[2, 3, 6\], expected \[2, 3, 5\]/,
    ],
  ];
  for (const [name, f, re] of bad) {
    let msg = '';
    try {
      await f(rec);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(re.test(msg), `${name}: expected an error matching ${re}, got "${msg}"`);
  }
  assert(rec.dispatches === 0, `${rec.dispatches} dispatches recorded before the errors`);
  rec.submit();
});
