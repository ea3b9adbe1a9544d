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
import { expectDType, groups, kernel, refRows } from './common';
import { rowGroups, rowMapping, rowsCols, type RowMappingOptions } from './softmax';
import { defineOps, like, type Typed } from './registry_types';
import * as ref from '../reference/layernorm';

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

/** Rows per block of the dgamma/dbeta partial sums: at least 32, and at most 1024 blocks. */
export function layernormRowsPerBlock(R: number): number {
  return Math.max(32, Math.ceil(R / 1024));
}

/** Shape of the workspace layernormBackward needs for x of R rows of C: (blocks, 2, C). */
export function layernormWorkspaceShape(R: number, C: number): number[] {
  return [Math.ceil(R / layernormRowsPerBlock(R)), 2, C];
}

/** The rule shared by forward and backward: x f32 of rank ≥ 1 viewed as (R, C), gamma f32 (C), eps finite ≥ 0. */
function check(op: string, x: Typed, gamma: Typed, a: LayernormArgs): [number, number] {
  expectDType(op, 'x', x, 'f32');
  expectDType(op, 'gamma', gamma, 'f32');
  if (x.shape.length < 1)
    throw new ShapeError(
      op,
      `x has shape ${fmtShape(x.shape)}: layernorm runs over the last axis, so rank must be ≥ 1`,
    );
  const [R, C] = rowsCols(x.shape);
  expectShape(op, 'gamma', gamma.shape, [C]);
  const eps = a.eps ?? 1e-5;
  if (!(Number.isFinite(eps) && eps >= 0)) throw new ShapeError(op, `eps must be a finite number ≥ 0, got ${eps}`);
  return [R, C];
}

/** layernorm's shape rule: also beta f32 (C); y like x, mean and rstd (…) = x's shape without C. */
export function layernormShape(
  op: string,
  x: Typed,
  gamma: Typed,
  beta: Typed,
  a: LayernormArgs,
): { R: number; C: number; statShape: number[] } {
  const [R, C] = check(op, x, gamma, a);
  expectDType(op, 'beta', beta, 'f32');
  expectShape(op, 'beta', beta.shape, [C]);
  return { R, C, statShape: x.shape.slice(0, -1) };
}

/** layernorm_backward's shape rule: dy f32 like x, mean and rstd f32 (…); dx like x, dgamma and dbeta (C). */
export function layernormBackwardShape(
  op: string,
  dy: Typed,
  x: Typed,
  gamma: Typed,
  mean: Typed,
  rstd: Typed,
  a: LayernormArgs,
): { R: number; C: number; statShape: number[] } {
  const [R, C] = check(op, x, gamma, a);
  const statShape = x.shape.slice(0, -1);
  expectDType(op, 'dy', dy, 'f32');
  expectShape(op, 'dy', dy.shape, x.shape);
  for (const [name, t] of [
    ['mean', mean],
    ['rstd', rstd],
  ] as const) {
    expectDType(op, name, t, 'f32');
    expectShape(op, name, t.shape, statShape);
  }
  return { R, C, statShape };
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
  const { R, C, statShape } = layernormShape(op, x, gamma, beta, a);
  expectOut(op, 'out.y', out.y, x.shape);
  expectOut(op, 'out.mean', out.mean, statShape);
  expectOut(op, 'out.rstd', out.rstd, statShape);
  const m = rowMapping(op, rec.ctx.tuning, 'layernorm', C, a);
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
  const { R, C } = layernormBackwardShape(op, dy, x, gamma, mean, rstd, a);
  const wsShape = layernormWorkspaceShape(R, C);
  expectOut(op, 'out.dx', out.dx, x.shape);
  expectOut(op, 'out.dgamma', out.dgamma, [C]);
  expectOut(op, 'out.dbeta', out.dbeta, [C]);
  expectOut(op, 'out.workspace', out.workspace, wsShape);
  const m = rowMapping(op, rec.ctx.tuning, 'layernorm', C, a);
  const COLS_WG = rec.ctx.tuning['layernorm.colsWg'];
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
  const kdx = await kernel(rec, op, 'layernorm', m.vec4 ? 'layernorm_bwd_dx4' : 'layernorm_bwd_dx', {
    WG: m.wg,
    TPR: m.tpr,
  });
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
  const kp = await kernel(rec, op, 'layernorm', m.vec4 ? 'layernorm_bwd_partials4' : 'layernorm_bwd_partials', {
    WG: COLS_WG,
  });
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

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    layernorm: { eps: number };
    layernorm_backward: { eps: number };
  }
}

export const layernormOps = defineOps({
  layernorm: {
    inputs: ['x', 'gamma', 'beta'],
    infer: ([x, g, bt], a) => {
      const { statShape } = layernormShape('layernorm', x!, g!, bt!, a);
      return [like(x!), { shape: statShape, dtype: 'f32' }, { shape: [...statShape], dtype: 'f32' }];
    },
    encode: async (rec, [x, g, bt], [y, mean, rstd], a) =>
      void (await layernormForward(rec, x!, g!, bt!, a, { y, mean, rstd })),
    // saves mean and rstd; dx, dgamma, dbeta in one fused backward family
    backward: (b, [x, g], [, mean, rstd], [dy], a) =>
      dy ? b.apply('layernorm_backward', [dy, x!, g!, mean!, rstd!], a) : [null, null, null],
    reference: ([x, g, bt], [t], a) => {
      const r = ref.layernormForward(x!, g!, bt!, refRows(t!.shape).R, refRows(t!.shape).C, a.eps);
      return [r.y, r.mean, r.rstd];
    },
  },
  layernorm_backward: {
    inputs: ['dy', 'x', 'gamma', 'mean', 'rstd'],
    infer: ([dy, x, g, mean, rstd], a) => {
      layernormBackwardShape('layernorm_backward', dy!, x!, g!, mean!, rstd!, a);
      return [like(dy!), like(g!), like(g!)];
    },
    encode: async (rec, [dy, x, g, mean, rstd], [dx, dgamma, dbeta], a) =>
      void (await layernormBackward(rec, dy!, x!, g!, mean!, rstd!, a, { dx, dgamma, dbeta })),
    backward: 'second derivatives of layernorm are not implemented',
    reference: ([dy, x, g, mean, rstd], [t]) => {
      const r = ref.layernormBackward(dy!, x!, g!, mean!, rstd!, refRows(t!.shape).R, refRows(t!.shape).C);
      return [r.dx, r.dgamma, r.dbeta];
    },
  },
});
