// Sums over rows and over broadcast axes: sum_to (a broadcast gradient summed back to an input's
// shape, the backward of every broadcasting op), sum_rows (Σ over every axis but the last: bias
// gradients) and sum_rows' backward. Deterministic: sum_mid passes of at most reduce.rowsPer rows
// in order, and the sum_last passes of src/ops/reduce.ts for trailing axes.
import { ShapeError, fmtShape } from '../util/errors';
import { broadcastShapes, checkShape, sameShape, type Shape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { Tensor } from '../gpu/tensor';
import { kernel, refRows } from './common';
import { checkF32, expand, expandShape, lastAxis, outTensor, sumLastPasses, temp } from './reduce';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/reduce';

/** (outer, len, inner) → out (outer, inner) by sum_mid passes of at most reduce.rowsPer rows. */
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
  const t = rec.ctx.tuning;
  const WG = t['reduce.wg'];
  const k = await kernel(rec, op, 'reduce', 'sum_mid', { WG });
  const colGroups = Math.ceil(inner / WG);
  let src = x;
  for (;;) {
    const chunks = Math.max(1, Math.ceil(len / t['reduce.rowsPer']));
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

/** sum_to's shape rule: g f32 must be a broadcast of `shape` (of no larger rank); out has `shape`. */
export function sumToShapeRule(op: string, g: Typed, shape: Shape): TypeInfo {
  checkF32(op, 'g', g);
  checkShape(op, 'shape', shape);
  if (shape.length > g.shape.length || !sameShape(broadcastShapes(op, g.shape, shape), g.shape)) {
    throw new ShapeError(
      op,
      `cannot sum ${fmtShape(g.shape)} to ${fmtShape(shape)}: ${fmtShape(g.shape)} must be a broadcast of ${fmtShape(shape)}`,
    );
  }
  return { shape: [...shape], dtype: 'f32' };
}

async function sumToShapeAs(
  rec: Recorder,
  op: string,
  g: Tensor,
  shape: Shape,
  scale: number,
  out?: Tensor,
): Promise<Tensor> {
  sumToShapeRule(op, g, shape);
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
export function sumToShape(
  rec: Recorder,
  g: Tensor,
  shape: Shape,
  opts: { scale?: number } = {},
  out?: Tensor,
): Promise<Tensor> {
  return sumToShapeAs(rec, 'sum_to_shape', g, shape, opts.scale ?? 1, out);
}

/** sum_rows' shape rule: x f32 (…, C) → (C). */
export function sumRowsShape(op: string, x: Typed): { C: number; out: TypeInfo } {
  checkF32(op, 'x', x);
  const { C } = lastAxis(op, 'x', x.shape);
  return { C, out: { shape: [C], dtype: 'f32' } };
}

/** sum_rows_backward's shape rule: dy (C) → dx of xShape (…, C). */
export function sumRowsBackwardShape(op: string, dy: Typed, xShape: Shape): { R: number; C: number; dx: TypeInfo } {
  const { R, C } = lastAxis(op, 'x', xShape);
  return { R, C, dx: expandShape(op, dy, xShape, [C]) };
}

// x is (…, C); out is (C): Σ over every axis but the last (bias gradients)
export function sumRowsForward(rec: Recorder, x: Tensor, out?: Tensor): Promise<Tensor> {
  const { C } = sumRowsShape('sum_rows', x);
  return sumToShapeAs(rec, 'sum_rows', x, [C], 1, out);
}

// dx[…, c] = dy[c]
export function sumRowsBackward(rec: Recorder, dy: Tensor, xShape: Shape, out?: Tensor): Promise<Tensor> {
  const op = 'sum_rows_backward';
  const { R, C } = sumRowsBackwardShape(op, dy, xShape);
  return expand(rec, op, dy, xShape, 1, R, C, 1, out);
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    sum_to: { shape: number[] };
    sum_rows: NoAttrs;
    sum_rows_backward: { shape: number[] };
  }
}

export const sumToOps = defineOps({
  sum_to: {
    inputs: ['g'],
    infer: ([g], a) => [sumToShapeRule('sum_to', g!, a.shape)],
    encode: async (rec, [g], [y], a) => void (await sumToShape(rec, g!, a.shape, {}, y)),
    // d sum_to(g) = dy broadcast back to g's shape (added to zeros of g's shape)
    backward: (b, [g], _, [dy]) => [b.add(dy!, b.fill(g!.shape, 0))],
    reference: ([g], [t], a) => [ref.sumToShape(g!, t!.shape, a.shape)],
  },
  sum_rows: {
    inputs: ['x'],
    infer: ([x]) => [sumRowsShape('sum_rows', x!).out],
    encode: async (rec, [x], [y]) => void (await sumRowsForward(rec, x!, y)),
    // dx[…, c] = dy[c]
    backward: (b, [x], _, [dy]) => [b.op('sum_rows_backward', [dy!], { shape: [...x!.shape] })],
    reference: ([x], [t]) => [ref.sumRowsForward(x!, refRows(t!.shape).R, refRows(t!.shape).C)],
  },
  sum_rows_backward: {
    inputs: ['dy'],
    infer: ([dy], a) => [sumRowsBackwardShape('sum_rows_backward', dy!, a.shape).dx],
    encode: async (rec, [dy], [dx], a) => void (await sumRowsBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward row sum
    backward: (b, _, __, [g]) => [b.op('sum_rows', [g!], {})],
    reference: ([dy], _, a) => [ref.sumRowsBackward(dy!, refRows(a.shape).R, refRows(a.shape).C)],
  },
});
