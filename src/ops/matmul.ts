// matmul: batched out = act(op(a)·op(b) + bias) on shaders/matmul.wgsl, in the forms NN, NT
// (b stored transposed: y = x·Wᵀ), TN and TT, and its backward built from the same kernel.
// a is (...batch, M, K) (or (...batch, K, M) with transA), b is (...batch, K, N) (or (N, K)
// with transB); one of them may be 2-D and is then shared by every batch (x (B·T, C) · W).
// Backward saves nothing itself: it needs a and b, plus the forward output for a relu / tanh /
// sigmoid epilogue (gelu recomputes its pre-activation with one more product).
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { expectShape, numel, sameShape } from '../util/shape';
import type { GpuContext } from '../gpu/device';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import type { Activation } from '../reference/matmul';
import { expectDType, groups, kernel } from './common';

export type { Activation } from '../reference/matmul';

const ACT_CODE: Record<Activation, number> = { none: 0, relu: 1, gelu: 2, tanh: 3, sigmoid: 4 };

/**
 * The kernel variants (all compute the same thing):
 * - 'shared': workgroup-memory tiles, two barriers per k-tile (hardware GPUs, NVIDIA especially);
 * - 'register': register tiles only, no workgroup memory and no barriers;
 * - 'subgroup': register tiles whose A chunks are shared across 4-lane subgroups
 *   (shaders/matmul_subgroup.wgsl), for SwiftShader, where loads are gathers and dominate.
 */
export type MatmulKernel = 'shared' | 'register' | 'subgroup';
export type MatmulVariant = 'auto' | MatmulKernel;

/** Tile shape of the matmul kernel (its override constants). */
export interface MatmulTiles {
  wgX: number;
  wgY: number;
  /** 4-row sub-blocks per invocation: 1 or 2 (1, 2, 4 or 8 for 'subgroup'). */
  rm: number;
  /** 4-column sub-blocks per invocation: 1 or 2. */
  rn: number;
  /** k-depth of a workgroup tile for 'shared' (a multiple of 4). */
  tk: number;
}

/**
 * Defaults per variant. 'shared': 64x64 tiles of 4x4 per invocation (the usual GPU shape; not
 * tuned on hardware yet). Side by side on SwiftShader (2 shared cores, 512^3, best of 7):
 * subgroup 8x2 6.3 GFLOP/s, register 2x2 3.7, shared 1.1, TF.js webgpu 0.5.
 */
export const DEFAULT_TILES: Record<MatmulKernel, MatmulTiles> = {
  shared: { wgX: 16, wgY: 16, rm: 1, rn: 1, tk: 16 },
  register: { wgX: 8, wgY: 8, rm: 2, rn: 2, tk: 16 },
  // 32x8 per invocation, 32x32 per subgroup, 32x64 per workgroup. Workgroup shapes from 8x1 to
  // 8x8 measured within noise of each other on SwiftShader at 1024^3; the small one wastes least
  // on clamped rows of small matrices.
  subgroup: { wgX: 8, wgY: 1, rm: 8, rn: 2, tk: 16 },
};

export function isSwiftShader(ctx: GpuContext): boolean {
  const a = ctx.adapter;
  return a.architecture === 'swiftshader' || a.isFallback || /swiftshader/i.test(a.name);
}

/** The subgroup variant needs subgroups of exactly 4 lanes (SwiftShader's). */
export function hasSubgroupsOf4(ctx: GpuContext): boolean {
  return ctx.features.subgroups && ctx.adapter.subgroupMinSize === 4 && ctx.adapter.subgroupMaxSize === 4;
}

/** The variant 'auto' means on this adapter: subgroup or register tiles on SwiftShader, shared tiles elsewhere. */
export function matmulKernel(ctx: GpuContext, variant: MatmulVariant = 'auto'): MatmulKernel {
  if (variant !== 'auto') return variant;
  if (!isSwiftShader(ctx)) return 'shared';
  return hasSubgroupsOf4(ctx) ? 'subgroup' : 'register';
}

/** Tiles of a call: the variant's defaults with `tiles` on top. */
export function matmulTiles(kind: MatmulKernel, tiles: Partial<MatmulTiles> = {}): MatmulTiles {
  return { ...DEFAULT_TILES[kind], ...tiles };
}

export interface MatmulOptions {
  /** a is stored (...batch, K, M): the product uses aᵀ. */
  transA?: boolean;
  /** b is stored (...batch, N, K): the product uses bᵀ (a Linear weight stored (out, in)). */
  transB?: boolean;
  /** (N), added before the activation. */
  bias?: Tensor | null;
  act?: Activation;
  /** 'auto' (default) picks by adapter (see matmulKernel); or force one. */
  variant?: MatmulVariant;
  /** Tile constants on top of the variant's defaults (tuning and benchmarks). */
  tiles?: Partial<MatmulTiles>;
}

/** Shapes of one call after validation. */
interface Dims {
  M: number;
  K: number;
  N: number;
  /** Number of output matrices (product of the batch dimensions). */
  batch: number;
  batchShape: number[];
  /** a or b is 2-D while the other is batched: it is shared by every batch (stride 0). */
  broadcastA: boolean;
  broadcastB: boolean;
}

function dims(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): Dims {
  expectDType(op, 'a', a, 'f32');
  expectDType(op, 'b', b, 'f32');
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError(op, `a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must both have rank >= 2`);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) {
    const sa = transA ? 'a stored (K, M)' : 'a stored (M, K)';
    const sb = transB ? 'b stored (N, K)' : 'b stored (K, N)';
    throw new ShapeError(op, `inner dimensions differ: ${sa} is ${fmtShape(a.shape)} (K = ${K}), ${sb} is ${fmtShape(b.shape)} (K = ${Kb})`);
  }
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  if (ba.length > 0 && bb.length > 0 && !sameShape(ba, bb)) {
    throw new ShapeError(op, `batch dimensions of a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} differ; they must be equal or one operand must be 2-D`);
  }
  const batchShape = ba.length > 0 ? ba : bb;
  return { M, K, N, batch: numel(batchShape), batchShape, broadcastA: ba.length === 0 && bb.length > 0, broadcastB: bb.length === 0 && ba.length > 0 };
}

/** Storage-buffer binding of t rounded up to 16 bytes, so a vec4 array reaches every element. */
function vec4Binding(op: string, name: string, t: Tensor): GPUBufferBinding {
  if (t.isReleased) throw new Error(`${op}: ${name} is tensor ${t.label}, already released`);
  const size = Math.max(16, Math.ceil(t.byteSize / 16) * 16);
  return { buffer: t.buffer, offset: 0, size: Math.min(size, t.buffer.size) };
}

function checkTiles(op: string, ctx: GpuContext, kind: MatmulKernel, t: MatmulTiles): void {
  const rms = kind === 'subgroup' ? [1, 2, 4, 8] : [1, 2];
  if (!rms.includes(t.rm) || (t.rn !== 1 && t.rn !== 2)) {
    throw new ShapeError(op, `tiles for '${kind}': rm must be one of ${rms.join(', ')} and rn 1 or 2, got rm ${t.rm}, rn ${t.rn}`);
  }
  if (!(Number.isInteger(t.tk) && t.tk >= 4 && t.tk % 4 === 0)) throw new ShapeError(op, `tiles tk must be a positive multiple of 4, got ${t.tk}`);
  if (!(Number.isInteger(t.wgX) && Number.isInteger(t.wgY) && t.wgX >= 1 && t.wgY >= 1)) {
    throw new ShapeError(op, `tiles wgX, wgY must be positive integers, got ${t.wgX}, ${t.wgY}`);
  }
  if (kind === 'subgroup') {
    if (!hasSubgroupsOf4(ctx)) throw new ShapeError(op, `variant 'subgroup' needs subgroups of exactly 4 lanes; this adapter (${ctx.adapter.name}) has none`);
    if (t.wgX % 4 !== 0) throw new ShapeError(op, `variant 'subgroup' needs wgX to be a multiple of 4 (a subgroup shares rows), got ${t.wgX}`);
  }
  const lim = ctx.limits;
  const inv = t.wgX * t.wgY;
  if (inv > lim.maxComputeInvocationsPerWorkgroup) throw new LimitError(op, 'workgroup size wgX·wgY', inv, 'maxComputeInvocationsPerWorkgroup', lim.maxComputeInvocationsPerWorkgroup);
  if (t.wgX > lim.maxComputeWorkgroupSizeX) throw new LimitError(op, 'workgroup size wgX', t.wgX, 'maxComputeWorkgroupSizeX', lim.maxComputeWorkgroupSizeX);
  if (t.wgY > lim.maxComputeWorkgroupSizeY) throw new LimitError(op, 'workgroup size wgY', t.wgY, 'maxComputeWorkgroupSizeY', lim.maxComputeWorkgroupSizeY);
  const shared = kind === 'shared' ? 16 * t.tk * (t.wgY * t.rm + t.wgX * t.rn) : 32;
  if (shared > lim.maxComputeWorkgroupStorageSize) {
    throw new LimitError(op, 'workgroup memory of the tiles in bytes', shared, 'maxComputeWorkgroupStorageSize', lim.maxComputeWorkgroupStorageSize);
  }
}

/** One kernel launch: out = act(op(x)·op(y) + bias), per batch or summed over the batches. */
interface Product {
  x: Tensor;
  y: Tensor;
  transX: boolean;
  transY: boolean;
  M: number;
  K: number;
  N: number;
  /** Batches: output matrices, or products summed into one output when `sum`. */
  batch: number;
  /** x / y shared by every batch (stride 0). */
  broadcastX: boolean;
  broadcastY: boolean;
  sum: boolean;
  bias: Tensor | null;
  act: Activation;
  kind: MatmulKernel;
  /** Tile constants from the caller, on top of the variant's defaults. */
  tiles?: Partial<MatmulTiles>;
}

async function launch(rec: Recorder, op: string, p: Product, out: Tensor): Promise<void> {
  const { M, K, N, kind } = p;
  const t = matmulTiles(kind, p.tiles);
  checkTiles(op, rec.ctx, kind, t);
  const outputs = p.sum ? 1 : p.batch;
  if (M === 0 || N === 0 || outputs === 0) return;
  const constants = {
    TRANS_A: p.transX,
    TRANS_B: p.transY,
    VEC_A: (p.transX ? M : K) % 4 === 0,
    VEC_B: (p.transY ? K : N) % 4 === 0,
    HAS_BIAS: p.bias !== null,
    ACT: ACT_CODE[p.act],
    WG_X: t.wgX,
    WG_Y: t.wgY,
    RM: t.rm,
    RN: t.rn,
    // The shared variant zero-fills its tiles past K; the register variants run a masked tail.
    ...(kind === 'subgroup' ? {} : { SHARED: kind === 'shared' }),
    ...(kind === 'shared' ? { TK: t.tk } : { K_TAIL: K % 4 !== 0 }),
  };
  const k =
    kind === 'subgroup'
      ? await kernel(rec, op, 'matmul_subgroup', 'matmul_subgroup', constants, 'enable subgroups;')
      : await kernel(rec, op, 'matmul', 'matmul', constants);
  const bn = 4 * t.rn * t.wgX;
  const bm = 4 * t.rm * t.wgY;
  const xb = vec4Binding(op, 'a', p.x);
  rec.dispatch({
    kernel: k,
    op,
    // Without a bias the unread `bias` binding takes a's buffer (both read-only).
    bindings: { a: xb, b: vec4Binding(op, 'b', p.y), bias: p.bias ?? xb, c: out },
    uniforms: {
      M,
      N,
      K,
      sum_batches: p.sum ? p.batch : 1,
      a_stride: p.broadcastX ? 0 : M * K,
      b_stride: p.broadcastY ? 0 : K * N,
      c_stride: M * N,
    },
    workgroups: [Math.ceil(N / bn), Math.ceil(M / bm), outputs],
    cost: { flops: 2 * p.batch * M * N * K, bytes: 4 * (p.x.size + p.y.size + outputs * M * N + (p.bias ? N : 0)) },
  });
}

function checkAct(op: string, act: Activation): void {
  if (!(act in ACT_CODE)) throw new ShapeError(op, `act must be one of ${Object.keys(ACT_CODE).join(', ')}, got ${String(act)}`);
}

function checkBias(op: string, bias: Tensor | null | undefined, N: number): void {
  if (!bias) return;
  expectDType(op, 'bias', bias, 'f32');
  expectShape(op, 'bias', bias.shape, [N]);
}

// out = act(op(a)·op(b) + bias); a is (...batch, M, K), b is (...batch, K, N), out is (...batch, M, N)
export async function matmulForward(rec: Recorder, a: Tensor, b: Tensor, opts: MatmulOptions = {}, out?: Tensor): Promise<Tensor> {
  const op = 'matmul';
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const act = opts.act ?? 'none';
  const d = dims(op, a, b, transA, transB);
  checkAct(op, act);
  checkBias(op, opts.bias, d.N);
  const kind = matmulKernel(rec.ctx, opts.variant);
  checkTiles(op, rec.ctx, kind, matmulTiles(kind, opts.tiles));
  const shape = [...d.batchShape, d.M, d.N];
  if (out) {
    expectDType(op, 'out', out, 'f32');
    expectShape(op, 'out', out.shape, shape);
  }
  const y = out ?? emptyTensor(rec.ctx, shape, 'f32', op);
  await launch(rec, op, {
    x: a, y: b, transX: transA, transY: transB, M: d.M, K: d.K, N: d.N, batch: d.batch,
    broadcastX: d.broadcastA, broadcastY: d.broadcastB, sum: false, bias: opts.bias ?? null, act, kind, tiles: opts.tiles,
  }, y);
  return y;
}

export interface MatmulBackwardOptions extends MatmulOptions {
  /** The forward output: needed when act is relu, tanh or sigmoid. */
  out?: Tensor | null;
}

export interface MatmulGrads {
  /** Gradient of a, in a's storage layout and shape. */
  da: Tensor;
  db: Tensor;
  /** (N), when the forward had a bias. */
  dbias: Tensor | null;
}

// dz = dout·act'(z);  da = dz·op(b)ᵀ,  db = op(a)ᵀ·dz (summed over the batch when a / b was
// broadcast), both in the stored layout;  dbias = Σ_rows dz
export async function matmulBackward(rec: Recorder, dout: Tensor, a: Tensor, b: Tensor, opts: MatmulBackwardOptions = {}): Promise<MatmulGrads> {
  const op = 'matmul_backward';
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const act = opts.act ?? 'none';
  const bias = opts.bias ?? null;
  const d = dims(op, a, b, transA, transB);
  checkAct(op, act);
  checkBias(op, bias, d.N);
  expectDType(op, 'dout', dout, 'f32');
  expectShape(op, 'dout', dout.shape, [...d.batchShape, d.M, d.N]);
  const needsOut = act === 'relu' || act === 'tanh' || act === 'sigmoid';
  if (needsOut) {
    if (!opts.out) throw new ShapeError(op, `act ${act} needs the forward output (opts.out) to differentiate the epilogue`);
    expectShape(op, 'out', opts.out.shape, dout.shape);
  }
  const kind = matmulKernel(rec.ctx, opts.variant);
  const tiles = opts.tiles;
  checkTiles(op, rec.ctx, kind, matmulTiles(kind, tiles));
  const ctx = rec.ctx;
  // Scratch (the activation gradient, gelu's recomputed pre-activation, column-sum partials) is
  // released after submit through rec.releaseAfterSubmit.

  let dz = dout;
  if (act !== 'none') {
    let saved = opts.out ?? null;
    if (act === 'gelu') {
      saved = emptyTensor(ctx, dout.shape, 'f32', `${op}.preact`);
      rec.releaseAfterSubmit(saved);
      await launch(rec, op, {
        x: a, y: b, transX: transA, transY: transB, M: d.M, K: d.K, N: d.N, batch: d.batch,
        broadcastX: d.broadcastA, broadcastY: d.broadcastB, sum: false, bias, act: 'none', kind, tiles,
      }, saved);
    }
    dz = emptyTensor(ctx, dout.shape, 'f32', `${op}.dz`);
    rec.releaseAfterSubmit(dz);
    await activationBackward(rec, op, act, dout, saved!, dz);
  }

  const { M, K, N, batch } = d;
  const base = { batch, bias: null, act: 'none' as const, kind, tiles };
  // da: (M, K) = dz·op(b)ᵀ, or stored (K, M) = op(b)·dzᵀ
  const da = emptyTensor(ctx, a.shape, 'f32', `${op}.da`);
  const daSum = d.broadcastA;
  await launch(rec, op, transA
    ? { ...base, x: b, y: dz, transX: transB, transY: true, M: K, K: N, N: M, broadcastX: d.broadcastB, broadcastY: false, sum: daSum }
    : { ...base, x: dz, y: b, transX: false, transY: !transB, M, K: N, N: K, broadcastX: false, broadcastY: d.broadcastB, sum: daSum }, da);
  // db: (K, N) = op(a)ᵀ·dz, or stored (N, K) = dzᵀ·op(a)
  const db = emptyTensor(ctx, b.shape, 'f32', `${op}.db`);
  const dbSum = d.broadcastB;
  await launch(rec, op, transB
    ? { ...base, x: dz, y: a, transX: true, transY: transA, M: N, K: M, N: K, broadcastX: false, broadcastY: d.broadcastA, sum: dbSum }
    : { ...base, x: a, y: dz, transX: !transA, transY: false, M: K, K: M, N, broadcastX: d.broadcastA, broadcastY: false, sum: dbSum }, db);

  let dbias: Tensor | null = null;
  if (bias) {
    dbias = emptyTensor(ctx, [N], 'f32', `${op}.dbias`);
    await columnSums(rec, op, dz, batch * M, N, dbias);
  }
  return { da, db, dbias };
}

// dz = dy · act'(saved): saved is the output y for relu / tanh / sigmoid, the pre-activation for gelu
async function activationBackward(rec: Recorder, op: string, act: Activation, dy: Tensor, saved: Tensor, dz: Tensor): Promise<void> {
  const k = await kernel(rec, op, 'matmul', 'matmul_act_bwd', { ACT: ACT_CODE[act] });
  const n = dy.size;
  if (n === 0) return;
  rec.dispatch({
    kernel: k,
    op,
    bindings: { ab_dy: dy, ab_saved: saved, ab_dz: dz },
    uniforms: { n },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: 4 * n, bytes: 12 * n },
  });
}

/** out (cols) = column sums of x (rows, cols), in passes of CS_ROWS rows each. */
async function columnSums(rec: Recorder, op: string, x: Tensor, rows: number, cols: number, out: Tensor): Promise<void> {
  if (cols === 0) return;
  if (rows === 0) return rec.clear(out);
  const k = await kernel(rec, op, 'matmul', 'matmul_colsum');
  const chunk = 256; // CS_ROWS's default
  let src = x;
  let n = rows;
  for (;;) {
    const parts = Math.ceil(n / chunk);
    const dst = parts === 1 ? out : emptyTensor(rec.ctx, [parts, cols], 'f32', `${op}.colsum`);
    if (parts > 1) rec.releaseAfterSubmit(dst);
    rec.dispatch({
      kernel: k,
      op,
      bindings: { cs_in: src, cs_out: dst },
      uniforms: { rows: n, cols },
      workgroups: [groups(cols, k.workgroupSize[0]), parts, 1],
      cost: { flops: n * cols, bytes: 4 * (n + parts) * cols },
    });
    if (parts === 1) return;
    src = dst;
    n = parts;
  }
}
