// Reductions: sum / mean / max over the last axis, sum over rows (bias gradients), the general
// sum of a broadcast gradient back to an input shape, the global L2 norm of a list of tensors and
// clip scaling by it (read on the GPU, no readback). All deterministic: long axes are cut into
// pieces with a fixed layout and reduced again in further passes (shaders/reduce.wgsl).
// Nothing is saved for backward except max's argmax indices.
import { ShapeError, fmtShape } from '../util/errors';
import { broadcastShapes, checkShape, expectShape, numel, sameShape, type Shape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel, MAX_U32 } from './common';

/** Workgroup size of every reduce kernel (a power of two). */
const WG = 256;
/**
 * Elements one invocation adds in order per pass (sum_last / max_last), between ITEMS_MIN and
 * ITEMS_MAX: long enough that a big reduction does not need more than ~TARGET_THREADS
 * invocations, short enough that a small one still spreads over that many. Longer runs mean
 * fewer threads per row and fewer barriers (SwiftShader pays dearly for barriers: rows of 768 run
 * ~3x faster with 4 threads per row than with 16); the f32 error of a run grows with its length,
 * and 256 in order, then a tree, stays far below a plain serial sum of a long row.
 */
const ITEMS_MIN = 16;
const ITEMS_MAX = 256;
const TARGET_THREADS = 16384;
/** Most rows one invocation adds in order per pass (sum_mid). */
const ROWS_PER = 64;

// ---- plans and scratch ---------------------------------------------------------------------

function temp(rec: Recorder, n: number, label: string, dtype: 'f32' | 'i32' = 'f32'): Tensor {
  const t = emptyTensor(rec.ctx, [n], dtype, label);
  rec.releaseAfterSubmit(t); // passes of one op hand partials to each other in one submit
  return t;
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/** Piece layout of one sum_last / max_last pass over `rows` rows of `cols` elements. */
export function lastPlan(rows: number, cols: number): { tpr: number; items: number; chunks: number } {
  const want = Math.min(ITEMS_MAX, Math.max(ITEMS_MIN, Math.ceil((rows * cols) / TARGET_THREADS)));
  if (cols <= want) return { tpr: 1, items: Math.max(cols, 1), chunks: 1 };
  const tpr = Math.min(WG, nextPow2(Math.ceil(cols / want)));
  const items = Math.min(want, Math.ceil(cols / tpr));
  return { tpr, items, chunks: Math.ceil(cols / (tpr * items)) };
}

function checkF32(op: string, name: string, t: Tensor): void {
  expectDType(op, name, t, 'f32');
  if (t.size > MAX_U32) throw new ShapeError(op, `${name} ${fmtShape(t.shape)} has more than 2^32 elements`);
}

function outTensor(rec: Recorder, op: string, shape: Shape, out?: Tensor, dtype: 'f32' | 'i32' = 'f32', inputs: Tensor[] = []): Tensor {
  if (!out) return emptyTensor(rec.ctx, shape, dtype, op);
  expectShape(op, 'out', out.shape, shape);
  expectDType(op, 'out', out, dtype);
  if (inputs.some((t) => t.buffer === out.buffer)) {
    throw new ShapeError(op, 'out must not be one of the inputs (a buffer cannot be read and written in one dispatch)');
  }
  return out;
}

/** (R, C) view of a tensor of rank ≥ 1 reduced over its last axis. */
function lastAxis(op: string, name: string, shape: Shape): { R: number; C: number; outShape: number[] } {
  if (shape.length < 1) throw new ShapeError(op, `${name} ${fmtShape(shape)} has rank 0; reducing over the last axis needs rank ≥ 1`);
  const C = shape[shape.length - 1]!;
  return { R: numel(shape.slice(0, -1)), C, outShape: shape.slice(0, -1) };
}

// ---- sum over the last axis ----------------------------------------------------------------

interface LastOpts {
  square?: boolean;
  sqrt?: boolean;
  scale?: number;
}

/** One sum_last pass: (rows, cols) → out[outOffset …] as (rows, chunks). */
async function sumLastPass(
  rec: Recorder,
  op: string,
  x: Tensor,
  rows: number,
  cols: number,
  o: LastOpts,
  out: Tensor,
  outOffset: number,
): Promise<number> {
  const p = lastPlan(rows, cols);
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
async function sumLastPasses(
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
    const { chunks } = lastPlan(rows, len);
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
  const { R, C } = lastAxis('sum_last_backward', 'x', xShape);
  return expand(rec, 'sum_last_backward', dy, xShape, xShape.slice(0, -1), R, C, 1, 1, out);
}

// x is (…, C); out is (…): the mean over the last axis (NaN for C = 0)
export async function meanLastForward(rec: Recorder, x: Tensor, out?: Tensor): Promise<Tensor> {
  return lastReduce(rec, 'mean_last', x, true, out);
}

// dx[…, c] = dy[…] / C
export function meanLastBackward(rec: Recorder, dy: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const { R, C } = lastAxis('mean_last_backward', 'x', xShape);
  return expand(rec, 'mean_last_backward', dy, xShape, xShape.slice(0, -1), R, C, 1, 1 / C, out);
}

async function lastReduce(rec: Recorder, op: string, x: Tensor, mean: boolean, out?: Tensor): Promise<Tensor> {
  checkF32(op, 'x', x);
  const { R, C, outShape } = lastAxis(op, 'x', x.shape);
  const y = outTensor(rec, op, outShape, out, 'f32', [x]);
  if (R === 0) return y;
  await sumLastPasses(rec, op, x, R, C, { scale: mean ? (C > 0 ? 1 / C : NaN) : 1 }, y);
  return y;
}

// dx (outer, len, inner) = scale · dy (outer, inner) broadcast over len
async function expand(
  rec: Recorder,
  op: string,
  dy: Tensor,
  xShape: Shape,
  dyShape: Shape,
  outer: number,
  len: number,
  inner: number,
  scale: number,
  out?: Tensor,
): Promise<Tensor> {
  checkF32(op, 'dy', dy);
  checkShape(op, 'x', xShape);
  expectShape(op, 'dy', dy.shape, dyShape);
  const dx = outTensor(rec, op, xShape, out, 'f32', [dy]);
  const n = outer * len * inner;
  if (n === 0) return dx;
  const k = await kernel(rec, op, 'reduce', 'sum_mid_bwd', { WG });
  const cost = { flops: n, bytes: 4 * (n + dy.size) };
  rec.dispatch({ kernel: k, op, bindings: { dy, dx }, uniforms: { n, len, inner, scale }, workgroups: groups(n, WG), cost });
  return dx;
}

// ---- sum over rows and over broadcast axes -------------------------------------------------

/** (outer, len, inner) → out (outer, inner) by sum_mid passes of at most ROWS_PER rows. */
async function sumMidPasses(
  rec: Recorder,
  op: string,
  x: Tensor,
  outer: number,
  len: number,
  inner: number,
  scale: number,
  out: Tensor,
): Promise<void> {
  const k = await kernel(rec, op, 'reduce', 'sum_mid', { WG });
  const colGroups = Math.ceil(inner / WG);
  let src = x;
  for (;;) {
    const chunks = Math.max(1, Math.ceil(len / ROWS_PER));
    const rowsPer = Math.max(1, Math.ceil(len / chunks));
    const last = chunks === 1;
    const dst = last ? out : temp(rec, outer * chunks * inner, `${op}.partials`);
    rec.dispatch({
      kernel: k,
      op,
      bindings: { x: src, out: dst },
      uniforms: { outer, len, inner, chunks, rows_per: rowsPer, col_groups: colGroups, scale: last ? scale : 1 },
      workgroups: outer * chunks * colGroups,
      cost: { flops: outer * len * inner, bytes: 4 * (outer * len * inner + outer * chunks * inner) },
    });
    if (last) return;
    src = dst;
    len = chunks;
  }
}

/** Axis groups of g's shape after dropping size-1 axes: runs of kept or summed axes. */
function axisGroups(gShape: Shape, shape: Shape): { size: number; sum: boolean }[] {
  const pad = gShape.length - shape.length;
  const out: { size: number; sum: boolean }[] = [];
  gShape.forEach((d, i) => {
    if (d === 1) return;
    const sum = (shape[i - pad] ?? 1) === 1;
    const last = out[out.length - 1];
    if (last && last.sum === sum) last.size *= d;
    else out.push({ size: d, sum });
  });
  return out;
}

async function sumToShapeAs(rec: Recorder, op: string, g: Tensor, shape: Shape, scale: number, out?: Tensor): Promise<Tensor> {
  checkF32(op, 'g', g);
  checkShape(op, 'shape', shape);
  if (shape.length > g.shape.length || !sameShape(broadcastShapes(op, g.shape, shape), g.shape)) {
    throw new ShapeError(op, `cannot sum ${fmtShape(g.shape)} to ${fmtShape(shape)}: ${fmtShape(g.shape)} must be a broadcast of ${fmtShape(shape)}`);
  }
  const y = outTensor(rec, op, shape, out, 'f32', [g]);
  if (y.size === 0) return y;
  if (g.size === 0) {
    rec.clear(y); // a sum of nothing
    return y;
  }
  const gs = axisGroups(g.shape, shape);
  if (!gs.some((q) => q.sum)) {
    // nothing to sum: a copy, or a scaled copy
    if (scale === 1) rec.copy(g.buffer, 0, y.buffer, 0, g.byteSize);
    else await sumMidPasses(rec, op, g, 1, 1, g.size, scale, y);
    return y;
  }
  let src = g;
  for (;;) {
    // sum the largest summed group first: it shrinks the data most
    let j = -1;
    gs.forEach((q, i) => {
      if (q.sum && (j < 0 || q.size > gs[j]!.size)) j = i;
    });
    const A = gs.slice(0, j).reduce((p, q) => p * q.size, 1);
    const B = gs[j]!.size;
    const C = gs.slice(j + 1).reduce((p, q) => p * q.size, 1);
    const keepL = gs[j - 1];
    const keepR = gs[j + 1];
    if (keepL && keepR) gs.splice(j - 1, 3, { size: keepL.size * keepR.size, sum: false });
    else gs.splice(j, 1);
    const last = !gs.some((q) => q.sum);
    const dst = last ? y : temp(rec, A * C, `${op}.partials`);
    if (C === 1) await sumLastPasses(rec, op, src, A, B, { scale: last ? scale : 1 }, dst);
    else await sumMidPasses(rec, op, src, A, B, C, last ? scale : 1, dst);
    if (last) return y;
    src = dst;
  }
}

// g has a broadcast of `shape`; out has `shape`: scale · g summed over the broadcast axes
export function sumToShape(rec: Recorder, g: Tensor, shape: Shape, opts: { scale?: number } = {}, out?: Tensor): Promise<Tensor> {
  return sumToShapeAs(rec, 'sum_to_shape', g, shape, opts.scale ?? 1, out);
}

// x is (…, C); out is (C): Σ over every axis but the last (bias gradients)
export function sumRowsForward(rec: Recorder, x: Tensor, out?: Tensor): Promise<Tensor> {
  const { C } = lastAxis('sum_rows', 'x', x.shape);
  return sumToShapeAs(rec, 'sum_rows', x, [C], 1, out);
}

// dx[…, c] = dy[c]
export function sumRowsBackward(rec: Recorder, dy: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const { R, C } = lastAxis('sum_rows_backward', 'x', xShape);
  return expand(rec, 'sum_rows_backward', dy, xShape, [C], 1, R, C, 1, out);
}

// ---- max over the last axis ----------------------------------------------------------------

// x is (…, C); values, indices (i32) are (…): max and first argmax; a NaN in a row wins
export async function maxLastForward(
  rec: Recorder,
  x: Tensor,
  out?: { values: Tensor; indices: Tensor },
): Promise<{ values: Tensor; indices: Tensor }> {
  const op = 'max_last';
  checkF32(op, 'x', x);
  const { R, C, outShape } = lastAxis(op, 'x', x.shape);
  if (C === 0 && R > 0) throw new ShapeError(op, `x ${fmtShape(x.shape)}: max over an empty last axis is undefined`);
  const values = outTensor(rec, op, outShape, out?.values, 'f32', [x]);
  const indices = outTensor(rec, op, outShape, out?.indices, 'i32', [x]);
  if (R === 0) return { values, indices };
  let src = x;
  let srcIdx: Tensor | null = null;
  let len = C;
  for (;;) {
    const p = lastPlan(R, len);
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
export async function maxLastBackward(rec: Recorder, dy: Tensor, indices: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const op = 'max_last_backward';
  checkF32(op, 'dy', dy);
  expectDType(op, 'indices', indices, 'i32');
  const { R, C, outShape } = lastAxis(op, 'x', xShape);
  expectShape(op, 'dy', dy.shape, outShape);
  expectShape(op, 'indices', indices.shape, outShape);
  const dx = outTensor(rec, op, xShape, out, 'f32', [dy, indices]);
  const n = R * C;
  if (n === 0) return dx;
  const k = await kernel(rec, op, 'reduce', 'max_last_bwd', { WG });
  const cost = { flops: n, bytes: 4 * (n + 2 * R) };
  rec.dispatch({ kernel: k, op, bindings: { dy, indices, dx }, uniforms: { n, len: C, inner: C, scale: 1 }, workgroups: groups(n, WG), cost });
  return dx;
}

// ---- global norm and clipping --------------------------------------------------------------

// out is (1): √(Σ_t Σ_i t_i²) over the list (each tensor's pieces, then one tree over all pieces)
export async function globalNorm(rec: Recorder, tensors: readonly Tensor[], out?: Tensor): Promise<Tensor> {
  const op = 'global_norm';
  tensors.forEach((t, i) => checkF32(op, `tensors[${i}]`, t));
  const y = outTensor(rec, op, [1], out, 'f32', [...tensors]);
  const live = tensors.filter((t) => t.size > 0);
  const plans = live.map((t) => lastPlan(1, t.size).chunks);
  const total = plans.reduce((a, b) => a + b, 0);
  if (total === 0) {
    rec.clear(y);
    return y;
  }
  if (total === 1) {
    await sumLastPass(rec, op, live[0]!, 1, live[0]!.size, { square: true, sqrt: true }, y, 0);
    return y;
  }
  const partials = temp(rec, total, `${op}.partials`);
  let offset = 0;
  for (const t of live) offset += await sumLastPass(rec, op, t, 1, t.size, { square: true }, partials, offset);
  await sumLastPasses(rec, op, partials, 1, total, { sqrt: true }, y);
  return y;
}

export interface ClipArgs {
  maxNorm: number;
  /** Added to the norm before dividing (default 1e-6). */
  eps?: number;
}

// each tensor t ← t · min(1, maxNorm / (norm + eps)), norm a (1) tensor read on the GPU; a NaN
// norm turns the tensors NaN (the problem stays visible), an infinite one zeroes them
export async function clipScale(rec: Recorder, tensors: readonly Tensor[], norm: Tensor, a: ClipArgs): Promise<void> {
  const op = 'clip_scale';
  const eps = checkClip(op, tensors, a);
  checkF32(op, 'norm', norm);
  if (norm.size !== 1) throw new ShapeError(op, `norm ${fmtShape(norm.shape)} must hold exactly one element`);
  tensors.forEach((t, i) => {
    if (t.buffer === norm.buffer) throw new ShapeError(op, `tensors[${i}] is the norm tensor itself`);
  });
  const k = await kernel(rec, op, 'reduce', 'clip_scale', { WG });
  for (const g of tensors) {
    if (g.size === 0) continue;
    const n = g.size;
    const cost = { flops: n, bytes: 8 * n };
    rec.dispatch({ kernel: k, op, bindings: { norm, g }, uniforms: { n, max_norm: a.maxNorm, eps }, workgroups: groups(n, WG), cost });
  }
}

function checkClip(op: string, tensors: readonly Tensor[], a: ClipArgs): number {
  const eps = a.eps ?? 1e-6;
  if (!(a.maxNorm > 0 && Number.isFinite(a.maxNorm))) throw new ShapeError(op, `maxNorm must be a positive finite number, got ${a.maxNorm}`);
  if (!(eps >= 0 && Number.isFinite(eps))) throw new ShapeError(op, `eps must be a non-negative finite number, got ${eps}`);
  tensors.forEach((t, i) => checkF32(op, `tensors[${i}]`, t));
  return eps;
}

/** Gradient clipping: the global norm of `grads`, then scale them in place; returns the norm (1). */
export async function clipGradNorm(rec: Recorder, grads: readonly Tensor[], a: ClipArgs): Promise<Tensor> {
  checkClip('clip_grad_norm', grads, a);
  const norm = await globalNorm(rec, grads);
  await clipScale(rec, grads, norm, a);
  return norm;
}
