// layernorm over the last axis: y = (x − mean)·rstd·gamma + beta for x viewed as (R, C), gamma and
// beta of shape (C). Forward saves mean and rstd (shape of x without its last axis), which with x
// and gamma is all backward needs. Backward gives dx, dgamma and dbeta in three dispatches: dx per
// row, then dgamma/dbeta as per-block partial sums and a fixed-order sum of those (deterministic,
// no atomics). The partials live in a workspace tensor (layernormWorkspaceShape) that the caller
// may pass in (a plan that owns its buffers); otherwise one is made and released after the submit.
import { ShapeError, fmtShape } from '../util/errors';
import { expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { rowGroups, rowMapping, rowsCols, type RowMappingOptions } from './softmax';

export interface LayernormArgs extends RowMappingOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

export interface LayernormOutputs {
  y: Tensor;
  /** Saved for backward: per-row mean, shape x.shape without the last axis. */
  mean: Tensor;
  /** Saved for backward: per-row 1/sqrt(var + eps), same shape as mean. */
  rstd: Tensor;
}

export interface LayernormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

export interface LayernormBackwardOutputs extends Partial<LayernormGrads> {
  /** Scratch for the dgamma/dbeta partial sums, shape layernormWorkspaceShape(R, C). */
  workspace?: Tensor;
}

/** Invocations per workgroup of the column kernels (partials, reduce). */
const COLS_WG = 64;

/** Rows per block of the dgamma/dbeta partial sums: at least 32, and at most 1024 blocks. */
export function layernormRowsPerBlock(R: number): number {
  return Math.max(32, Math.ceil(R / 1024));
}

/** Shape of the workspace layernormBackward needs for x of R rows of C: (blocks, 2, C). */
export function layernormWorkspaceShape(R: number, C: number): number[] {
  return [Math.ceil(R / layernormRowsPerBlock(R)), 2, C];
}

function check(op: string, x: Tensor, gamma: Tensor, a: LayernormArgs): [number, number] {
  expectDType(op, 'x', x, 'f32');
  expectDType(op, 'gamma', gamma, 'f32');
  if (x.shape.length < 1) throw new ShapeError(op, `x has shape ${fmtShape(x.shape)}: layernorm runs over the last axis, so rank must be ≥ 1`);
  const [R, C] = rowsCols(x.shape);
  expectShape(op, 'gamma', gamma.shape, [C]);
  const eps = a.eps ?? 1e-5;
  if (!(Number.isFinite(eps) && eps >= 0)) throw new ShapeError(op, `eps must be a finite number ≥ 0, got ${eps}`);
  return [R, C];
}

function expectOut(op: string, name: string, t: Tensor | undefined, shape: readonly number[]): void {
  if (!t) return;
  expectDType(op, name, t, 'f32');
  expectShape(op, name, t.shape, shape);
}

// y = (x − mean)·rstd·gamma + beta over the last axis; x is (…, C), gamma and beta are (C)
export async function layernormForward(
  rec: Recorder,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  a: LayernormArgs = {},
  out: Partial<LayernormOutputs> = {},
): Promise<LayernormOutputs> {
  const op = 'layernorm';
  const [R, C] = check(op, x, gamma, a);
  expectDType(op, 'beta', beta, 'f32');
  expectShape(op, 'beta', beta.shape, [C]);
  const statShape = x.shape.slice(0, -1);
  expectOut(op, 'out.y', out.y, x.shape);
  expectOut(op, 'out.mean', out.mean, statShape);
  expectOut(op, 'out.rstd', out.rstd, statShape);
  const m = rowMapping(op, rec.ctx, C, a);
  const y = out.y ?? emptyTensor(rec.ctx, x.shape, 'f32', op);
  const mean = out.mean ?? emptyTensor(rec.ctx, statShape, 'f32', `${op}.mean`);
  const rstd = out.rstd ?? emptyTensor(rec.ctx, statShape, 'f32', `${op}.rstd`);
  if (R === 0) return { y, mean, rstd };
  if (C === 0) {
    // nothing to normalise: mean = rstd = 0 by convention (as the reference)
    rec.clear(mean);
    rec.clear(rstd);
    return { y, mean, rstd };
  }
  const k = await kernel(rec, op, 'layernorm', m.vec4 ? 'layernorm_fwd4' : 'layernorm_fwd', { WG: m.wg, TPR: m.tpr });
  rec.dispatch({
    kernel: k,
    op,
    bindings: m.vec4 ? { x4: x, gamma4: gamma, beta4: beta, y4: y, mean, rstd } : { x, gamma, beta, y, mean, rstd },
    uniforms: { R, C, eps: a.eps ?? 1e-5 },
    workgroups: rowGroups(m, R),
    cost: { flops: 8 * R * C, bytes: 4 * (3 * R * C + 2 * C + 2 * R) },
  });
  return { y, mean, rstd };
}

// dx = rstd·(g − mean_C(g) − xhat·mean_C(g·xhat)), g = dy·gamma, xhat = (x − mean)·rstd;
// dgamma = Σ_rows dy·xhat, dbeta = Σ_rows dy
export async function layernormBackward(
  rec: Recorder,
  dy: Tensor,
  x: Tensor,
  gamma: Tensor,
  mean: Tensor,
  rstd: Tensor,
  a: LayernormArgs = {},
  out: LayernormBackwardOutputs = {},
): Promise<LayernormGrads> {
  const op = 'layernorm_backward';
  const [R, C] = check(op, x, gamma, a);
  const statShape = x.shape.slice(0, -1);
  expectDType(op, 'dy', dy, 'f32');
  expectShape(op, 'dy', dy.shape, x.shape);
  for (const [name, t] of [['mean', mean], ['rstd', rstd]] as const) {
    expectDType(op, name, t, 'f32');
    expectShape(op, name, t.shape, statShape);
  }
  const wsShape = layernormWorkspaceShape(R, C);
  expectOut(op, 'out.dx', out.dx, x.shape);
  expectOut(op, 'out.dgamma', out.dgamma, [C]);
  expectOut(op, 'out.dbeta', out.dbeta, [C]);
  expectOut(op, 'out.workspace', out.workspace, wsShape);
  const m = rowMapping(op, rec.ctx, C, a);
  const dx = out.dx ?? emptyTensor(rec.ctx, x.shape, 'f32', `${op}.dx`);
  const dgamma = out.dgamma ?? emptyTensor(rec.ctx, [C], 'f32', `${op}.dgamma`);
  const dbeta = out.dbeta ?? emptyTensor(rec.ctx, [C], 'f32', `${op}.dbeta`);
  const res = { dx, dgamma, dbeta };
  if (C === 0) return res;
  if (R === 0) {
    // sums over no rows
    rec.clear(dgamma);
    rec.clear(dbeta);
    return res;
  }
  let workspace = out.workspace;
  if (!workspace) {
    workspace = emptyTensor(rec.ctx, wsShape, 'f32', `${op}.workspace`);
    rec.releaseAfterSubmit(workspace);
  }
  const rowsPerBlock = layernormRowsPerBlock(R);
  const blocks = wsShape[0]!;
  const uniforms = { R, C, rows_per_block: rowsPerBlock, blocks };
  const kdx = await kernel(rec, op, 'layernorm', m.vec4 ? 'layernorm_bwd_dx4' : 'layernorm_bwd_dx', { WG: m.wg, TPR: m.tpr });
  rec.dispatch({
    kernel: kdx,
    op,
    bindings: m.vec4
      ? { dy4: dy, x4: x, gamma4: gamma, mean_saved: mean, rstd_saved: rstd, dx4: dx }
      : { dy, x, gamma, mean_saved: mean, rstd_saved: rstd, dx },
    uniforms,
    workgroups: rowGroups(m, R),
    cost: { flops: 12 * R * C, bytes: 4 * (3 * R * C + C + 2 * R) },
  });
  const kp = await kernel(rec, op, 'layernorm', m.vec4 ? 'layernorm_bwd_partials4' : 'layernorm_bwd_partials', { WG: COLS_WG });
  rec.dispatch({
    kernel: kp,
    op,
    bindings: m.vec4
      ? { dy4: dy, x4: x, mean_saved: mean, rstd_saved: rstd, partials4: workspace }
      : { dy, x, mean_saved: mean, rstd_saved: rstd, partials: workspace },
    uniforms,
    workgroups: [groups(m.vec4 ? C / 4 : C, COLS_WG), blocks, 1],
    cost: { flops: 5 * R * C, bytes: 4 * (2 * R * C + 2 * R + 2 * blocks * C) },
  });
  const kr = await kernel(rec, op, 'layernorm', 'layernorm_bwd_reduce', { WG: COLS_WG });
  rec.dispatch({
    kernel: kr,
    op,
    bindings: { partials: workspace, dgamma, dbeta },
    uniforms,
    workgroups: groups(C, COLS_WG),
    cost: { flops: 2 * blocks * C, bytes: 4 * (2 * blocks * C + 2 * C) },
  });
  return res;
}
