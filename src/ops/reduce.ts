// Reductions over the last axis: sum / mean / max, and the backward expansions. All
// deterministic: long axes are cut into pieces with a fixed layout and reduced again in further
// passes (shaders/reduce.wgsl). Nothing is saved for backward except max's argmax indices. The
// passes here also serve src/ops/sum_to.ts (sums over rows and broadcast axes) and
// src/ops/clip.ts (the global norm). Piece sizes come from ctx.tuning (reduce.*).
import { ShapeError, fmtShape } from '../util/errors';
import { checkShape, expectShape, numel, type Shape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { TuningTable } from '../gpu/tuning';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel, MAX_U32, refRows } from './common';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/reduce';

// ---- plans, checks and scratch -------------------------------------------------------------

/** Scratch handed between the passes of one op in one submit. */
export function temp(rec: Recorder, n: number, label: string, dtype: 'f32' | 'i32' = 'f32'): Tensor {
  const t = emptyTensor(rec.ctx, [n], dtype, label);
  rec.releaseAfterSubmit(t);
  return t;
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * Piece layout of one sum_last / max_last pass over `rows` rows of `cols` elements. Each
 * invocation adds `items` elements in order, between reduce.itemsMin and reduce.itemsMax: long
 * enough that a big reduction needs no more than ~reduce.targetThreads invocations, short enough
 * that a small one still spreads over that many. Longer runs mean fewer threads per row and
 * fewer barriers; the f32 error of a run grows with its length, and 256 in order, then a tree,
 * stays far below a plain serial sum of a long row.
 */
export function lastPlan(t: TuningTable, rows: number, cols: number): { tpr: number; items: number; chunks: number } {
  const want = Math.min(
    t['reduce.itemsMax'],
    Math.max(t['reduce.itemsMin'], Math.ceil((rows * cols) / t['reduce.targetThreads'])),
  );
  if (cols <= want) return { tpr: 1, items: Math.max(cols, 1), chunks: 1 };
  const tpr = Math.min(t['reduce.wg'], nextPow2(Math.ceil(cols / want)));
  const items = Math.min(want, Math.ceil(cols / tpr));
  return { tpr, items, chunks: Math.ceil(cols / (tpr * items)) };
}

export function checkF32(op: string, name: string, t: Typed): void {
  expectDType(op, name, t, 'f32');
  if (numel(t.shape) > MAX_U32) throw new ShapeError(op, `${name} ${fmtShape(t.shape)} has more than 2^32 elements`);
}

export function outTensor(
  rec: Recorder,
  op: string,
  shape: Shape,
  out?: Tensor,
  dtype: 'f32' | 'i32' = 'f32',
  inputs: Tensor[] = [],
): Tensor {
  if (!out) return emptyTensor(rec.ctx, shape, dtype, op);
  expectShape(op, 'out', out.shape, shape);
  expectDType(op, 'out', out, dtype);
  if (inputs.some((t) => t.buffer === out.buffer)) {
    throw new ShapeError(op, 'out must not be one of the inputs (a buffer cannot be read and written in one dispatch)');
  }
  return out;
}

/** (R, C) view of a tensor of rank ≥ 1 reduced over its last axis. */
export function lastAxis(op: string, name: string, shape: Shape): { R: number; C: number; outShape: number[] } {
  if (shape.length < 1)
    throw new ShapeError(op, `${name} ${fmtShape(shape)} has rank 0; reducing over the last axis needs rank ≥ 1`);
  const C = shape[shape.length - 1]!;
  return { R: numel(shape.slice(0, -1)), C, outShape: shape.slice(0, -1) };
}

/** sum_last's and mean_last's shape rule: x f32 of rank ≥ 1 (…, C) → (…). */
export function lastReduceShape(op: string, x: Typed): { R: number; C: number; out: TypeInfo } {
  checkF32(op, 'x', x);
  const { R, C, outShape } = lastAxis(op, 'x', x.shape);
  return { R, C, out: { shape: outShape, dtype: 'f32' } };
}

/** The shape rule of a backward that broadcasts dy (of `dyShape`) back to x's shape. */
export function expandShape(op: string, dy: Typed, xShape: Shape, dyShape: Shape): TypeInfo {
  checkF32(op, 'dy', dy);
  checkShape(op, 'x', xShape);
  expectShape(op, 'dy', dy.shape, dyShape);
  return { shape: [...xShape], dtype: 'f32' };
}

/** sum_last_backward's and mean_last_backward's shape rule: dy (…) → dx (…, C) = xShape. */
export function lastBackwardShape(op: string, dy: Typed, xShape: Shape): { R: number; C: number; dx: TypeInfo } {
  const { R, C, outShape } = lastAxis(op, 'x', xShape);
  return { R, C, dx: expandShape(op, dy, xShape, outShape) };
}

// ---- sum over the last axis ----------------------------------------------------------------

interface LastOpts {
  square?: boolean;
  sqrt?: boolean;
  scale?: number;
}

/** One sum_last pass: (rows, cols) → out[outOffset …] as (rows, chunks); returns chunks. */
export async function sumLastPass(
  rec: Recorder,
  op: string,
  x: Tensor,
  rows: number,
  cols: number,
  o: LastOpts,
  out: Tensor,
  outOffset: number,
): Promise<number> {
  const t = rec.ctx.tuning;
  const p = lastPlan(t, rows, cols);
  const WG = t['reduce.wg'];
  const k = await kernel(rec, op, 'reduce', 'sum_last', { WG, SQUARE: !!o.square, SQRT: !!o.sqrt });
  rec.dispatch({
    kernel: k,
    op,
    bindings: { x, out },
    uniforms: { rows, cols, chunks: p.chunks, tpr: p.tpr, items: p.items, out_offset: outOffset, scale: o.scale ?? 1 },
    workgroups: groups(rows * p.chunks, WG / p.tpr),
    cost: { flops: rows * cols * (o.square ? 2 : 1), bytes: 4 * (rows * cols + rows * p.chunks) },
  });
  return p.chunks;
}

/** x (rows, cols) → out (rows), as many passes as the row length needs. */
export async function sumLastPasses(
  rec: Recorder,
  op: string,
  x: Tensor,
  rows: number,
  cols: number,
  o: LastOpts,
  out: Tensor,
): Promise<void> {
  let src = x;
  let len = cols;
  let first = true;
  for (;;) {
    const { chunks } = lastPlan(rec.ctx.tuning, rows, len);
    const last = chunks === 1;
    const dst = last ? out : temp(rec, rows * chunks, `${op}.partials`);
    const opts = { square: first && o.square, sqrt: last && o.sqrt, scale: last ? o.scale : 1 };
    await sumLastPass(rec, op, src, rows, len, opts, dst, 0);
    if (last) return;
    src = dst;
    len = chunks;
    first = false;
  }
}

// x is (…, C); out is (…): Σ over the last axis
export async function sumLastForward(rec: Recorder, x: Tensor, out?: Tensor): Promise<Tensor> {
  return lastReduce(rec, 'sum_last', x, false, out);
}

// dx[…, c] = dy[…]
export function sumLastBackward(rec: Recorder, dy: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const op = 'sum_last_backward';
  const { R, C } = lastBackwardShape(op, dy, xShape);
  return expand(rec, op, dy, xShape, R, C, 1, 1, out);
}

// x is (…, C); out is (…): the mean over the last axis (NaN for C = 0)
export async function meanLastForward(rec: Recorder, x: Tensor, out?: Tensor): Promise<Tensor> {
  return lastReduce(rec, 'mean_last', x, true, out);
}

// dx[…, c] = dy[…] / C
export function meanLastBackward(rec: Recorder, dy: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const op = 'mean_last_backward';
  const { R, C } = lastBackwardShape(op, dy, xShape);
  return expand(rec, op, dy, xShape, R, C, 1, 1 / C, out);
}

async function lastReduce(rec: Recorder, op: string, x: Tensor, mean: boolean, out?: Tensor): Promise<Tensor> {
  const { R, C, out: o } = lastReduceShape(op, x);
  const y = outTensor(rec, op, o.shape, out, 'f32', [x]);
  if (R === 0) return y;
  await sumLastPasses(rec, op, x, R, C, { scale: mean ? (C > 0 ? 1 / C : NaN) : 1 }, y);
  return y;
}

// dx (outer, len, inner) = scale · dy (outer, inner) broadcast over len; shapes checked by the caller
export async function expand(
  rec: Recorder,
  op: string,
  dy: Tensor,
  xShape: Shape,
  outer: number,
  len: number,
  inner: number,
  scale: number,
  out?: Tensor,
): Promise<Tensor> {
  const dx = outTensor(rec, op, xShape, out, 'f32', [dy]);
  const n = outer * len * inner;
  if (n === 0) return dx;
  const WG = rec.ctx.tuning['reduce.wg'];
  const k = await kernel(rec, op, 'reduce', 'sum_mid_bwd', { WG });
  const cost = { flops: n, bytes: 4 * (n + dy.size) };
  rec.dispatch({
    kernel: k,
    op,
    bindings: { dy, dx },
    uniforms: { n, len, inner, scale },
    workgroups: groups(n, WG),
    cost,
  });
  return dx;
}

// ---- max over the last axis ----------------------------------------------------------------

// x is (…, C); values, indices (i32) are (…): max and first argmax; a NaN in a row wins
export async function maxLastForward(
  rec: Recorder,
  x: Tensor,
  out?: { values: Tensor; indices: Tensor },
): Promise<{ values: Tensor; indices: Tensor }> {
  const op = 'max_last';
  const { R, C, out: o } = lastReduceShape(op, x);
  if (C === 0 && R > 0) throw new ShapeError(op, `x ${fmtShape(x.shape)}: max over an empty last axis is undefined`);
  const values = outTensor(rec, op, o.shape, out?.values, 'f32', [x]);
  const indices = outTensor(rec, op, o.shape, out?.indices, 'i32', [x]);
  if (R === 0) return { values, indices };
  const WG = rec.ctx.tuning['reduce.wg'];
  let src = x;
  let srcIdx: Tensor | null = null;
  let len = C;
  for (;;) {
    const p = lastPlan(rec.ctx.tuning, R, len);
    const last = p.chunks === 1;
    const dv = last ? values : temp(rec, R * p.chunks, `${op}.partials`);
    const di = last ? indices : temp(rec, R * p.chunks, `${op}.partial_indices`, 'i32');
    const k = await kernel(rec, op, 'reduce', srcIdx ? 'max_last_merge' : 'max_last', { WG });
    rec.dispatch({
      kernel: k,
      op,
      bindings: srcIdx ? { x: src, x_idx: srcIdx, out: dv, out_idx: di } : { x: src, out: dv, out_idx: di },
      uniforms: { rows: R, cols: len, chunks: p.chunks, tpr: p.tpr, items: p.items, out_offset: 0, scale: 1 },
      workgroups: groups(R * p.chunks, WG / p.tpr),
      cost: { flops: R * len, bytes: 4 * (R * len * (srcIdx ? 2 : 1) + 2 * R * p.chunks) },
    });
    if (last) return { values, indices };
    src = dv;
    srcIdx = di;
    len = p.chunks;
  }
}

// dx[…, c] = dy[…] at c = indices[…], else 0 (the gradient goes to the first argmax)
export async function maxLastBackward(
  rec: Recorder,
  dy: Tensor,
  indices: Tensor,
  xShape: Shape,
  out?: Tensor,
): Promise<Tensor> {
  const op = 'max_last_backward';
  checkF32(op, 'dy', dy);
  expectDType(op, 'indices', indices, 'i32');
  const { R, C, outShape } = lastAxis(op, 'x', xShape);
  expectShape(op, 'dy', dy.shape, outShape);
  expectShape(op, 'indices', indices.shape, outShape);
  const dx = outTensor(rec, op, xShape, out, 'f32', [dy, indices]);
  const n = R * C;
  if (n === 0) return dx;
  const WG = rec.ctx.tuning['reduce.wg'];
  const k = await kernel(rec, op, 'reduce', 'max_last_bwd', { WG });
  const cost = { flops: n, bytes: 4 * (n + 2 * R) };
  rec.dispatch({
    kernel: k,
    op,
    bindings: { dy, indices, dx },
    uniforms: { n, len: C, inner: C, scale: 1 },
    workgroups: groups(n, WG),
    cost,
  });
  return dx;
}

// ---- graph ops -----------------------------------------------------------------------------

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    sum_last: NoAttrs;
    mean_last: NoAttrs;
    /** (dy) → dy broadcast back over the reduced axis of the forward input's `shape`. */
    sum_last_backward: { shape: number[] };
    mean_last_backward: { shape: number[] };
  }
}

export const reduceOps = defineOps({
  sum_last: {
    inputs: ['x'],
    infer: ([x]) => [lastReduceShape('sum_last', x!).out],
    encode: async (rec, [x], [y]) => void (await sumLastForward(rec, x!, y)),
    // dx[…, c] = dy[…]
    backward: (b, [x], _, [dy]) => [b.op('sum_last_backward', [dy!], { shape: [...x!.shape] })],
    reference: ([x], [t]) => [ref.sumLastForward(x!, refRows(t!.shape).R, refRows(t!.shape).C)],
  },
  mean_last: {
    inputs: ['x'],
    infer: ([x]) => [lastReduceShape('mean_last', x!).out],
    encode: async (rec, [x], [y]) => void (await meanLastForward(rec, x!, y)),
    // dx[…, c] = dy[…] / C
    backward: (b, [x], _, [dy]) => [b.op('mean_last_backward', [dy!], { shape: [...x!.shape] })],
    reference: ([x], [t]) => [ref.meanLastForward(x!, refRows(t!.shape).R, refRows(t!.shape).C)],
  },
  sum_last_backward: {
    inputs: ['dy'],
    infer: ([dy], a) => [lastBackwardShape('sum_last_backward', dy!, a.shape).dx],
    encode: async (rec, [dy], [dx], a) => void (await sumLastBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward sum
    backward: (b, _, __, [g]) => [b.op('sum_last', [g!], {})],
    reference: ([dy], _, a) => [ref.sumLastBackward(dy!, refRows(a.shape).R, refRows(a.shape).C)],
  },
  mean_last_backward: {
    inputs: ['dy'],
    infer: ([dy], a) => [lastBackwardShape('mean_last_backward', dy!, a.shape).dx],
    encode: async (rec, [dy], [dx], a) => void (await meanLastBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward mean
    backward: (b, _, __, [g]) => [b.op('mean_last', [g!], {})],
    reference: ([dy], _, a) => [ref.meanLastBackward(dy!, refRows(a.shape).R, refRows(a.shape).C)],
  },
});
