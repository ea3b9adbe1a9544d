// The kernel side of matmul (src/ops/matmul.ts) on shaders/matmul.wgsl and matmul_subgroup.wgsl:
// the variant and its tiles from the tuning table (matmul.variant, matmul.<variant>.*), the checks
// of tiles against the adapter's limits, one product's constants, bindings and dispatch geometry
// (launchProduct, which the forward and both backward products share), and dbias's column sums.
import { LimitError, ShapeError } from '../util/errors';
import type { GpuContext } from '../gpu/device';
import type { Recorder } from '../gpu/recorder';
import type { MatmulKernel, MatmulTiles, TuningTable } from '../gpu/tuning';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { groups, kernel } from './common';

export type { MatmulKernel, MatmulTiles } from '../gpu/tuning';

/**
 * The kernel variants (all compute the same thing):
 * - 'shared': workgroup-memory tiles, two barriers per k-tile (hardware GPUs, NVIDIA especially);
 * - 'register': register tiles only, no workgroup memory and no barriers;
 * - 'subgroup': register tiles whose A chunks are shared across 4-lane subgroups
 *   (shaders/matmul_subgroup.wgsl), for SwiftShader, where loads are gathers and dominate.
 */
/** 'auto': the tuning table's matmul.variant. */
export type MatmulVariant = 'auto' | MatmulKernel;

/** The subgroup variant needs subgroups of exactly 4 lanes (SwiftShader's): a fact of the tuning table. */
export function hasSubgroupsOf4(ctx: GpuContext): boolean {
  return ctx.tuning.facts.subgroupsOf4;
}

/** The kernel of a call: `variant`, or for 'auto' the tuning table's matmul.variant. */
export function matmulKernel(ctx: GpuContext, variant: MatmulVariant = 'auto'): MatmulKernel {
  return variant === 'auto' ? ctx.tuning['matmul.variant'] : variant;
}

/** Tiles of a call: the variant's tiles from the tuning table with `tiles` on top. */
export function matmulTiles(t: TuningTable, kind: MatmulKernel, tiles: Partial<MatmulTiles> = {}): MatmulTiles {
  const base = {
    wgX: t[`matmul.${kind}.wgX`],
    wgY: t[`matmul.${kind}.wgY`],
    rm: t[`matmul.${kind}.rm`],
    rn: t[`matmul.${kind}.rn`],
    tk: t[`matmul.${kind}.tk`],
  };
  return { ...base, ...tiles };
}

/** Storage-buffer binding of t rounded up to 16 bytes, so a vec4 array reaches every element. */
function vec4Binding(op: string, name: string, t: Tensor): GPUBufferBinding {
  if (t.isReleased) throw new Error(`${op}: ${name} is tensor ${t.label}, already released`);
  const size = Math.max(16, Math.ceil(t.byteSize / 16) * 16);
  return { buffer: t.buffer, offset: 0, size: Math.min(size, t.buffer.size) };
}

export function checkTiles(op: string, ctx: GpuContext, kind: MatmulKernel, t: MatmulTiles): void {
  const rms = kind === 'subgroup' ? [1, 2, 4, 8] : [1, 2];
  if (!rms.includes(t.rm) || (t.rn !== 1 && t.rn !== 2)) {
    throw new ShapeError(
      op,
      `tiles for '${kind}': rm must be one of ${rms.join(', ')} and rn 1 or 2, got rm ${t.rm}, rn ${t.rn}`,
    );
  }
  if (!(Number.isInteger(t.tk) && t.tk >= 4 && t.tk % 4 === 0))
    throw new ShapeError(op, `tiles tk must be a positive multiple of 4, got ${t.tk}`);
  if (!(Number.isInteger(t.wgX) && Number.isInteger(t.wgY) && t.wgX >= 1 && t.wgY >= 1)) {
    throw new ShapeError(op, `tiles wgX, wgY must be positive integers, got ${t.wgX}, ${t.wgY}`);
  }
  if (kind === 'subgroup') {
    if (!hasSubgroupsOf4(ctx))
      throw new ShapeError(
        op,
        `variant 'subgroup' needs subgroups of exactly 4 lanes; this adapter (${ctx.tuning.facts.adapter}) has none`,
      );
    if (t.wgX % 4 !== 0)
      throw new ShapeError(
        op,
        `variant 'subgroup' needs wgX to be a multiple of 4 (a subgroup shares rows), got ${t.wgX}`,
      );
  }
  const lim = ctx.limits;
  const inv = t.wgX * t.wgY;
  if (inv > lim.maxComputeInvocationsPerWorkgroup)
    throw new LimitError(
      op,
      'workgroup size wgX·wgY',
      inv,
      'maxComputeInvocationsPerWorkgroup',
      lim.maxComputeInvocationsPerWorkgroup,
    );
  if (t.wgX > lim.maxComputeWorkgroupSizeX)
    throw new LimitError(op, 'workgroup size wgX', t.wgX, 'maxComputeWorkgroupSizeX', lim.maxComputeWorkgroupSizeX);
  if (t.wgY > lim.maxComputeWorkgroupSizeY)
    throw new LimitError(op, 'workgroup size wgY', t.wgY, 'maxComputeWorkgroupSizeY', lim.maxComputeWorkgroupSizeY);
  const shared = kind === 'shared' ? 16 * t.tk * (t.wgY * t.rm + t.wgX * t.rn) : 32;
  if (shared > lim.maxComputeWorkgroupStorageSize) {
    throw new LimitError(
      op,
      'workgroup memory of the tiles in bytes',
      shared,
      'maxComputeWorkgroupStorageSize',
      lim.maxComputeWorkgroupStorageSize,
    );
  }
}

/** One kernel launch: out = op(x)·op(y) + bias, per batch or summed over the batches. */
export interface MatmulProduct {
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
  kind: MatmulKernel;
  /** Tile constants from the caller, on top of the variant's defaults. */
  tiles?: Partial<MatmulTiles>;
}

/**
 * Tiles no taller than the product: when M is below a workgroup's rows (4·rm·wgY), halve rm and
 * then wgY while the rest still covers M, so a decoding step (M = 1) computes 4 rows per
 * invocation instead of the 32 or 64 of a training tile and wastes ~3/4, not ~31/32, of its
 * work. Rows the caller fixed (`tiles.rm`, `tiles.wgY`) are kept.
 */
export function fitRows(t: MatmulTiles, M: number, fixed: Partial<MatmulTiles> = {}): MatmulTiles {
  let { rm, wgY } = t;
  if (fixed.rm === undefined) while (rm > 1 && 4 * (rm / 2) * wgY >= M) rm /= 2;
  if (fixed.wgY === undefined) while (wgY > 1 && wgY % 2 === 0 && 4 * rm * (wgY / 2) >= M) wgY /= 2;
  return rm === t.rm && wgY === t.wgY ? t : { ...t, rm, wgY };
}

/** Checks the tiles and records the launch of p into out (nothing for an empty output). */
export async function launchProduct(rec: Recorder, op: string, p: MatmulProduct, out: Tensor): Promise<void> {
  const { M, K, N, kind } = p;
  const t = fitRows(matmulTiles(rec.ctx.tuning, kind, p.tiles), M, p.tiles);
  checkTiles(op, rec.ctx, kind, t);
  const outputs = p.sum ? 1 : p.batch;
  if (M === 0 || N === 0 || outputs === 0) return;
  const constants = {
    TRANS_A: p.transX,
    TRANS_B: p.transY,
    VEC_A: (p.transX ? M : K) % 4 === 0,
    VEC_B: (p.transY ? K : N) % 4 === 0,
    HAS_BIAS: p.bias !== null,
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

/** out (cols) = column sums of x (rows, cols), in passes of CS_ROWS rows each. */
export async function columnSums(
  rec: Recorder,
  op: string,
  x: Tensor,
  rows: number,
  cols: number,
  out: Tensor,
): Promise<void> {
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
