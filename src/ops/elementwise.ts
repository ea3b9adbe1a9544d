// Elementwise ops (shaders/elementwise.wgsl): unary activations with their backward, y = αx + β
// (also in place, for optimizers), and add / sub / mul / div with NumPy broadcasting whose
// backward sums each gradient over its broadcast axes (src/ops/reduce.ts).
// Saved for backward: unary ops the x or y of UNARY_SAVES; binary mul / div both inputs, add /
// sub nothing.
import { ShapeError, fmtShape } from '../util/errors';
import { broadcastShapes, broadcastStrides, expectShape, numel, type Shape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel, MAX_U32 } from './common';
import { sumToShape } from './sum_to';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/elementwise';
import { UNARY_DEFAULTS, UNARY_SAVES, type BinaryOp, type UnaryOp, type UnaryParams } from '../reference/elementwise';

export { UNARY_SAVES, type BinaryOp, type UnaryOp, type UnaryParams };

/** OP constant of each unary op in shaders/elementwise.wgsl. */
export const UNARY_ID: Record<UnaryOp, number> = {
  exp: 0,
  log: 1,
  sqrt: 2,
  tanh: 3,
  sigmoid: 4,
  relu: 5,
  leaky_relu: 6,
  elu: 7,
  gelu: 8,
  step: 9,
  affine: 10,
  gelu_erf: 11,
};

/** Napkin flops per element of each unary forward. */
const UNARY_FLOPS: Record<UnaryOp, number> = {
  exp: 1,
  log: 1,
  sqrt: 1,
  tanh: 1,
  sigmoid: 4,
  relu: 1,
  leaky_relu: 2,
  elu: 3,
  gelu: 10,
  gelu_erf: 20,
  step: 1,
  affine: 2,
};

export const BINARY_ID: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Most output axes after merging axes that broadcast alike (uniform arrays hold 8). */
export const MAX_RANK = 8;

function checkF32(op: string, name: string, t: Typed): void {
  expectDType(op, name, t, 'f32');
  if (numel(t.shape) > MAX_U32) throw new ShapeError(op, `${name} ${fmtShape(t.shape)} has more than 2^32 elements`);
}

function outTensor(rec: Recorder, op: string, shape: Shape, out: Tensor | undefined, inputs: Tensor[]): Tensor {
  if (!out) return emptyTensor(rec.ctx, shape, 'f32', op);
  expectShape(op, 'out', out.shape, shape);
  expectDType(op, 'out', out, 'f32');
  if (inputs.some((t) => t.buffer === out.buffer)) {
    throw new ShapeError(op, 'out must not be one of the inputs (a buffer cannot be read and written in one dispatch)');
  }
  return out;
}

function unaryParams(op: string, u: UnaryOp, p: UnaryParams): { alpha: number; beta: number } {
  if (!(u in UNARY_ID)) throw new ShapeError(op, `unknown unary op "${u}" (ops: ${Object.keys(UNARY_ID).join(', ')})`);
  const alpha = p.alpha ?? UNARY_DEFAULTS[u].alpha;
  const beta = p.beta ?? UNARY_DEFAULTS[u].beta;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta))
    throw new ShapeError(op, `alpha and beta must be finite, got ${alpha}, ${beta}`);
  return { alpha, beta };
}

// ---- unary ---------------------------------------------------------------------------------

/** unary's shape rule: a known op with finite α, β; x f32; y like x. */
export function unaryShape(
  name: string,
  op: UnaryOp,
  x: Typed,
  p: UnaryParams,
): { alpha: number; beta: number; y: TypeInfo } {
  const { alpha, beta } = unaryParams(name, op, p);
  checkF32(name, 'x', x);
  return { alpha, beta, y: { shape: [...x.shape], dtype: 'f32' } };
}

/** unary_backward's shape rule: dy f32, and the saved x or y of UNARY_SAVES[op] shaped like dy. */
export function unaryBackwardShape(
  name: string,
  op: UnaryOp,
  dy: Typed,
  saved: Typed | null,
  p: UnaryParams,
): { alpha: number; beta: number; dx: TypeInfo } {
  const { alpha, beta } = unaryParams(name, op, p);
  checkF32(name, 'dy', dy);
  const what = UNARY_SAVES[op];
  if (what !== 'none') {
    if (!saved) throw new ShapeError(name, `needs the saved ${what} of the forward pass`);
    checkF32(name, what, saved);
    expectShape(name, what, saved.shape, dy.shape);
  }
  return { alpha, beta, dx: { shape: [...dy.shape], dtype: 'f32' } };
}

// y = f(x)
export async function unaryForward(
  rec: Recorder,
  op: UnaryOp,
  x: Tensor,
  p: UnaryParams = {},
  out?: Tensor,
): Promise<Tensor> {
  const { alpha, beta } = unaryShape(op, op, x, p);
  const y = outTensor(rec, op, x.shape, out, [x]);
  const n = x.size;
  if (n === 0) return y;
  const k = await kernel(rec, op, 'elementwise', 'unary_fwd', { OP: UNARY_ID[op] });
  rec.dispatch({
    kernel: k,
    op,
    bindings: { x, y },
    uniforms: { n, alpha, beta },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: UNARY_FLOPS[op] * n, bytes: 8 * n },
  });
  return y;
}

// dx = dy · f'(s), s = the saved x or y of UNARY_SAVES[op] (null for affine: dx = α·dy)
export async function unaryBackward(
  rec: Recorder,
  op: UnaryOp,
  dy: Tensor,
  saved: Tensor | null,
  p: UnaryParams = {},
  out?: Tensor,
): Promise<Tensor> {
  const name = `${op}_backward`;
  const { alpha, beta } = unaryBackwardShape(name, op, dy, saved, p);
  const s = UNARY_SAVES[op] === 'none' || !saved ? dy : saved;
  const dx = outTensor(rec, name, dy.shape, out, [dy, s]);
  const n = dy.size;
  if (n === 0) return dx;
  const k = await kernel(rec, name, 'elementwise', 'unary_bwd', { OP: UNARY_ID[op] });
  rec.dispatch({
    kernel: k,
    op: name,
    bindings: { s, dy, dx },
    uniforms: { n, alpha, beta },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: (UNARY_FLOPS[op] + 1) * n, bytes: 12 * n },
  });
  return dx;
}

// x ← α·x + β in place (scaling by optimizers); the backward of y = αx + β is dx = α·dy
export async function affineInPlace(rec: Recorder, x: Tensor, alpha: number, beta = 0): Promise<Tensor> {
  const op = 'affine_inplace';
  unaryParams(op, 'affine', { alpha, beta });
  checkF32(op, 'x', x);
  const n = x.size;
  if (n === 0) return x;
  const k = await kernel(rec, op, 'elementwise', 'affine_inplace', { OP: UNARY_ID.affine });
  const workgroups = groups(n, k.workgroupSize[0]);
  rec.dispatch({
    kernel: k,
    op,
    bindings: { xy: x },
    uniforms: { n, alpha, beta },
    workgroups,
    cost: { flops: 2 * n, bytes: 8 * n },
  });
  return x;
}

// ---- binary with broadcasting --------------------------------------------------------------

interface BroadcastPlan {
  shape: number[];
  n: number;
  /** Merged output axes with the strides of a and b (0 on broadcast axes). */
  dims: number[];
  aStrides: number[];
  bStrides: number[];
  /** Whether a (b) has the output's element count, so is read at the output's flat index. */
  aFull: boolean;
  bFull: boolean;
}

/** The broadcast output shape, with adjacent axes merged where both operands allow it. */
export function broadcastPlan(op: string, aShape: Shape, bShape: Shape): BroadcastPlan {
  const shape = broadcastShapes(op, aShape, bShape);
  const sa = broadcastStrides(aShape, shape);
  const sb = broadcastStrides(bShape, shape);
  const dims: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    // axis i continues axis k when k's strides are i's strides times its size (also for 0)
    if (k >= 0 && aStrides[k] === sa[i]! * d && bStrides[k] === sb[i]! * d) {
      dims[k]! *= d;
      aStrides[k] = sa[i]!;
      bStrides[k] = sb[i]!;
    } else {
      dims.push(d);
      aStrides.push(sa[i]!);
      bStrides.push(sb[i]!);
    }
  });
  if (dims.length === 0) {
    // every axis has size 1: one element
    dims.push(1);
    aStrides.push(0);
    bStrides.push(0);
  }
  if (dims.length > MAX_RANK) {
    throw new ShapeError(
      op,
      `broadcasting ${fmtShape(aShape)} with ${fmtShape(bShape)} needs ${dims.length} axes after merging, more than the ${MAX_RANK} the kernel supports`,
    );
  }
  const n = numel(shape);
  return { shape, n, dims, aStrides, bStrides, aFull: numel(aShape) === n, bFull: numel(bShape) === n };
}

function planUniforms(p: BroadcastPlan): Record<string, number | number[]> {
  const axes = new Array<number>(4 * MAX_RANK).fill(0);
  p.dims.forEach((d, i) => axes.splice(4 * i, 3, d, p.aStrides[i]!, p.bStrides[i]!));
  return { n: p.n, axes };
}

/** OP, which operands are read at the output index, and the merged rank (one pipeline each). */
function planConstants(op: BinaryOp, p: BroadcastPlan): Record<string, number | boolean> {
  const full = p.aFull && p.bFull;
  return { OP: BINARY_ID[op], A_FULL: p.aFull, B_FULL: p.bFull, RANK: full ? 1 : p.dims.length };
}

/** binary's shape rule: a known op, a and b f32 with shapes that broadcast (NumPy rules). */
export function binaryShape(name: string, op: BinaryOp, a: Typed, b: Typed): BroadcastPlan {
  if (!(op in BINARY_ID))
    throw new ShapeError(name, `unknown binary op "${op}" (ops: ${Object.keys(BINARY_ID).join(', ')})`);
  checkF32(name, 'a', a);
  checkF32(name, 'b', b);
  const p = broadcastPlan(name, a.shape, b.shape);
  if (p.n > MAX_U32) throw new ShapeError(name, `output ${fmtShape(p.shape)} has more than 2^32 elements`);
  return p;
}

// out = a ∘ b, shapes broadcast NumPy-style
export async function binaryForward(rec: Recorder, op: BinaryOp, a: Tensor, b: Tensor, out?: Tensor): Promise<Tensor> {
  const p = binaryShape(op, op, a, b);
  const c = outTensor(rec, op, p.shape, out, [a, b]);
  if (p.n === 0) return c;
  const k = await kernel(rec, op, 'elementwise', 'binary_fwd', planConstants(op, p));
  rec.dispatch({
    kernel: k,
    op,
    bindings: { a, b, c },
    uniforms: planUniforms(p),
    workgroups: groups(p.n, k.workgroupSize[0]),
    cost: { flops: p.n, bytes: 4 * (a.size + b.size + p.n) },
  });
  return c;
}

// da = Σ_broadcast dy·∂out/∂a, db likewise: add (1, 1), sub (1, −1), mul (b, a), div (1/b, −a/b²)
export async function binaryBackward(
  rec: Recorder,
  op: BinaryOp,
  dy: Tensor,
  a: Tensor,
  b: Tensor,
): Promise<{ da: Tensor; db: Tensor }> {
  const name = `${op}_backward`;
  const p = binaryShape(name, op, a, b);
  checkF32(name, 'dy', dy);
  expectShape(name, 'dy', dy.shape, p.shape);
  if (op === 'add' || op === 'sub') {
    const da = await sumToShape(rec, dy, a.shape);
    const db = await sumToShape(rec, dy, b.shape, { scale: op === 'sub' ? -1 : 1 });
    return { da, db };
  }
  // a gradient whose input was not broadcast (same element count as the output) is final as is
  const full = (t: Tensor, label: string): Tensor => {
    if (t.size === p.n) return emptyTensor(rec.ctx, t.shape, 'f32', name);
    const g = emptyTensor(rec.ctx, p.shape, 'f32', `${name}.${label}_full`);
    rec.releaseAfterSubmit(g);
    return g;
  };
  const gaFull = full(a, 'da');
  const gbFull = full(b, 'db');
  if (p.n > 0) {
    const k = await kernel(rec, name, 'elementwise', 'binary_bwd', planConstants(op, p));
    rec.dispatch({
      kernel: k,
      op: name,
      bindings: { dy, a, b, da: gaFull, db: gbFull },
      uniforms: planUniforms(p),
      workgroups: groups(p.n, k.workgroupSize[0]),
      cost: { flops: 4 * p.n, bytes: 4 * (3 * p.n + a.size + b.size) },
    });
  }
  const da = a.size === p.n ? gaFull : await sumToShape(rec, gaFull, a.shape);
  const db = b.size === p.n ? gbFull : await sumToShape(rec, gbFull, b.shape);
  return { da, db };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    binary: { op: BinaryOp };
    unary: { op: UnaryOp; alpha?: number; beta?: number };
    /** (dy, saved) → dx, saved being the x or y the unary op keeps (UNARY_SAVES). */
    unary_backward: { op: UnaryOp; alpha?: number; beta?: number };
  }
}

export const elementwiseOps = defineOps({
  binary: {
    inputs: ['a', 'b'],
    infer: ([x, y], a) => [{ shape: binaryShape(a.op, a.op, x!, y!).shape, dtype: 'f32' }],
    encode: async (rec, [x, y], [out], a) => void (await binaryForward(rec, a.op, x!, y!, out)),
    // add: (dy, dy); sub: (dy, −dy); mul: (dy·b, dy·a); div: (dy/b, −dy·(a/b)/b), each summed to its input's shape
    backward: (b, [x, y], [out], [dy], a) => {
      const g = dy!;
      const [ga, gb] =
        a.op === 'add'
          ? [g, g]
          : a.op === 'sub'
            ? [g, b.neg(g)]
            : a.op === 'mul'
              ? [b.mul(g, y!), b.mul(g, x!)]
              : [b.div(g, y!), b.neg(b.div(b.mul(g, out!), y!))];
      return [b.sumTo(ga, x!.shape), b.sumTo(gb, y!.shape)];
    },
    reference: ([x, y], [tx, ty], a) => [ref.binaryForward(a.op, x!, tx!.shape, y!, ty!.shape).out],
  },
  unary: {
    inputs: ['x'],
    infer: ([x], a) => [unaryShape(a.op, a.op, x!, a).y],
    encode: async (rec, [x], [y], a) => void (await unaryForward(rec, a.op, x!, { alpha: a.alpha, beta: a.beta }, y)),
    // dx = dy·f'(x), from the saved x or y (step: f' = 0, no gradient)
    backward: (b, [x], [y], [dy], a) => {
      if (a.op === 'step') return [null];
      const saves = UNARY_SAVES[a.op];
      const ins = saves === 'none' ? [dy!] : [dy!, saves === 'x' ? x! : y!];
      return [b.op('unary_backward', ins, { op: a.op, alpha: a.alpha, beta: a.beta })];
    },
    reference: ([x], _, a) => [ref.unaryForward(a.op, x!, { alpha: a.alpha, beta: a.beta })],
  },
  unary_backward: {
    inputs: ['dy', 'saved?'],
    infer: ([dy, s], a) => [unaryBackwardShape(`${a.op}_backward`, a.op, dy!, s ?? null, a).dx],
    encode: async (rec, [dy, s], [dx], a) =>
      void (await unaryBackward(rec, a.op, dy!, s ?? null, { alpha: a.alpha, beta: a.beta }, dx)),
    backward: 'second derivatives of activations are not implemented',
    reference: ([dy, s], _, a) => [ref.unaryBackward(a.op, dy!, s ?? null, { alpha: a.alpha, beta: a.beta })],
  },
});
