// softmax over the last axis: y = softmax(scale·x) for x viewed as (R, C), R the product of the
// leading axes. Optional causal mask for rows viewed as (…, T, T), T = C: element j of row r is
// masked (y = 0, dx = 0) when j > r mod T. Forward saves nothing beyond y, which backward reads.
// `rowMapping` picks how rows map to invocations (see shaders/softmax.wgsl) from ctx.tuning
// (softmax.threads, softmax.wg); layernorm shares it with its own keys.
import { ShapeError, fmtShape } from '../util/errors';
import { expectShape, numel } from '../util/shape';
import type { TuningTable } from '../gpu/tuning';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel, refRows } from './common';
import { defineOps, like, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/softmax';

/** How rows are spread over invocations (see shaders/softmax.wgsl). */
export interface RowMapping {
  /** Invocations per workgroup. */
  wg: number;
  /** Invocations per row: 1, or a power of two dividing wg (tree reduction in workgroup memory). */
  tpr: number;
  /** vec4 loads and stores (rows of C % 4 == 0). */
  vec4: boolean;
}

export interface RowMappingOptions {
  /** Invocations per row, a power of two in [1, 256]. Default: the tuning table's
   *  `<op>.threads`; its 'auto' is 1 (one row per invocation, no barriers) when C ≤ 16, else
   *  about C/8 clamped to [32, 256] (CPU adapters default to 1). */
  threadsPerRow?: number;
  /** Use vec4 loads when C % 4 == 0 (default true). */
  vec4?: boolean;
}

const MAX_TPR = 256;

/** The row mapping for rows of C elements, with the tuning of `family` (softmax or layernorm). */
export function rowMapping(
  op: string,
  t: TuningTable,
  family: 'softmax' | 'layernorm',
  C: number,
  o: RowMappingOptions = {},
): RowMapping {
  const given = o.threadsPerRow;
  if (
    given !== undefined &&
    !(Number.isInteger(given) && given >= 1 && given <= MAX_TPR && (given & (given - 1)) === 0)
  ) {
    throw new ShapeError(op, `threadsPerRow must be a power of two in [1, ${MAX_TPR}], got ${given}`);
  }
  const vec4 = (o.vec4 ?? true) && C % 4 === 0;
  const tuned = t[`${family}.threads`];
  const tpr = given ?? (tuned === 'auto' ? autoThreads(C, vec4) : tuned);
  return { wg: tpr === 1 ? t[`${family}.wg`] : MAX_TPR, tpr, vec4 };
}

/** threads 'auto': one row per invocation for C ≤ 16, else about C/8 (C/4 scalar) in [32, 256]. */
function autoThreads(C: number, vec4: boolean): number {
  const perLane = vec4 ? 8 : 4; // elements each invocation should get at least
  return C <= 16 ? 1 : Math.min(MAX_TPR, Math.max(32, 2 ** Math.ceil(Math.log2(C / perLane))));
}

/** Workgroups for R rows under a mapping. */
export function rowGroups(m: RowMapping, R: number): number {
  return groups(R, m.wg / m.tpr);
}

export interface SoftmaxArgs extends RowMappingOptions {
  /** Multiplies x before the softmax (default 1). */
  scale?: number;
  /** Mask element j of row r when j > r mod C (rows viewed as (…, C, C)). */
  causal?: boolean;
}

/** Rows and columns of a tensor viewed as (R, C) over its last axis. */
export function rowsCols(shape: readonly number[]): [number, number] {
  return [numel(shape.slice(0, -1)), shape[shape.length - 1]!];
}

/** softmax's shape rule: x f32 of rank ≥ 1 viewed as (R, C); a finite scale; causal needs R % C == 0. */
export function softmaxShape(op: string, x: Typed, a: SoftmaxArgs): [number, number] {
  expectDType(op, 'x', x, 'f32');
  if (x.shape.length < 1)
    throw new ShapeError(op, `x has shape ${fmtShape(x.shape)}: softmax runs over the last axis, so rank must be ≥ 1`);
  const scale = a.scale ?? 1;
  if (!Number.isFinite(scale)) throw new ShapeError(op, `scale must be a finite number, got ${scale}`);
  const [R, C] = rowsCols(x.shape);
  if (a.causal && C > 0 && R % C !== 0) {
    throw new ShapeError(
      op,
      `causal mask views rows as (…, T, T) with T = C = ${C}, but x ${fmtShape(x.shape)} has R = ${R} rows, not a multiple of ${C}`,
    );
  }
  return [R, C];
}

function uniforms(R: number, C: number, a: SoftmaxArgs): Record<string, number> {
  return { R, C, causal: a.causal ? 1 : 0, scale: a.scale ?? 1 };
}

// y = softmax(scale·x) over the last axis; x is (…, C)
export async function softmaxForward(rec: Recorder, x: Tensor, a: SoftmaxArgs = {}, out?: Tensor): Promise<Tensor> {
  const op = 'softmax';
  const [R, C] = softmaxShape(op, x, a);
  const m = rowMapping(op, rec.ctx.tuning, 'softmax', C, a);
  if (out) {
    expectDType(op, 'out', out, 'f32');
    expectShape(op, 'out', out.shape, x.shape);
  }
  const y = out ?? emptyTensor(rec.ctx, x.shape, 'f32', op);
  if (R === 0 || C === 0) return y;
  const k = await kernel(rec, op, 'softmax', m.vec4 ? 'softmax_fwd4' : 'softmax_fwd', { WG: m.wg, TPR: m.tpr });
  rec.dispatch({
    kernel: k,
    op,
    bindings: m.vec4 ? { x4: x, y4: y } : { x, y },
    uniforms: uniforms(R, C, a),
    workgroups: rowGroups(m, R),
    cost: { flops: 6 * R * C, bytes: 8 * R * C },
  });
  return y;
}

/** softmax_backward's shape rule: y as softmax's x, dy f32 shaped like y. */
export function softmaxBackwardShape(op: string, dy: Typed, y: Typed, a: SoftmaxArgs): [number, number] {
  const rc = softmaxShape(op, y, a);
  expectDType(op, 'dy', dy, 'f32');
  expectShape(op, 'dy', dy.shape, y.shape);
  return rc;
}

// dx = scale · y ⊙ (dy − Σ dy⊙y) along the last axis, from the saved forward output y
export async function softmaxBackward(
  rec: Recorder,
  dy: Tensor,
  y: Tensor,
  a: SoftmaxArgs = {},
  out?: Tensor,
): Promise<Tensor> {
  const op = 'softmax_backward';
  const [R, C] = softmaxBackwardShape(op, dy, y, a);
  const m = rowMapping(op, rec.ctx.tuning, 'softmax', C, a);
  if (out) {
    expectDType(op, 'out', out, 'f32');
    expectShape(op, 'out', out.shape, y.shape);
  }
  const dx = out ?? emptyTensor(rec.ctx, y.shape, 'f32', op);
  if (R === 0 || C === 0) return dx;
  const k = await kernel(rec, op, 'softmax', m.vec4 ? 'softmax_bwd4' : 'softmax_bwd', { WG: m.wg, TPR: m.tpr });
  rec.dispatch({
    kernel: k,
    op,
    bindings: m.vec4 ? { y_saved4: y, dy4: dy, dx4: dx } : { y_saved: y, dy, dx },
    uniforms: uniforms(R, C, a),
    workgroups: rowGroups(m, R),
    cost: { flops: 5 * R * C, bytes: 12 * R * C },
  });
  return dx;
}

function refArgs(a: SoftmaxArgs): ref.SoftmaxRefArgs {
  return { scale: a.scale ?? 1, causal: a.causal ?? false };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    softmax: { scale?: number; causal?: boolean };
    softmax_backward: { scale?: number; causal?: boolean };
  }
}

export const softmaxOps = defineOps({
  softmax: {
    inputs: ['x'],
    infer: ([x], a): TypeInfo[] => {
      softmaxShape('softmax', x!, a);
      return [like(x!)];
    },
    encode: async (rec, [x], [y], a) => void (await softmaxForward(rec, x!, a, y)),
    // dx = scale·y⊙(dy − Σ dy⊙y), from the saved output y
    backward: (b, _, [y], [dy], a) => [b.op('softmax_backward', [dy!, y!], a)],
    reference: ([x], [t], a) => [ref.softmaxForward(x!, refRows(t!.shape).R, refRows(t!.shape).C, refArgs(a))],
  },
  softmax_backward: {
    inputs: ['dy', 'y'],
    infer: ([dy, y], a) => {
      softmaxBackwardShape('softmax_backward', dy!, y!, a);
      return [like(dy!)];
    },
    encode: async (rec, [dy, y], [dx], a) => void (await softmaxBackward(rec, dy!, y!, a, dx)),
    backward: 'second derivatives of softmax are not implemented',
    reference: ([dy, y], [t], a) => [
      ref.softmaxBackward(dy!, y!, refRows(t!.shape).R, refRows(t!.shape).C, refArgs(a)),
    ],
  },
});
