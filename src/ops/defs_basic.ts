// Graph op definitions: leaves, layout ops, elementwise, reductions and linear algebra.
// Backward rules build new nodes through the GradBuilder; a one-line derivative sits above each.
import { ShapeError, fmtShape } from '../util/errors';
import { broadcastShapes, checkShape, numel, sameShape } from '../util/shape';
import type { OpAttrs } from './attrs';
import type { OpDef, Sym, TypeInfo, GradBuilder } from './registry_types';
import { permuteShape, permuteForward } from './permute';
import * as permuteRef from '../reference/permute';
import { unaryForward, unaryBackward, binaryForward, UNARY_SAVES } from './elementwise';
import * as ew from '../reference/elementwise';
import { sumToShape, sumLastForward, sumLastBackward, meanLastForward, meanLastBackward, sumRowsForward, sumRowsBackward } from './reduce';
import * as red from '../reference/reduce';
import { matmulForward } from './matmul';
import * as mm from '../reference/matmul';

type Def<K extends keyof OpAttrs> = OpDef<OpAttrs[K], OpAttrs>;
type B<V extends Sym> = GradBuilder<V, OpAttrs>;

const noEncode = async (): Promise<void> => {};
const one = <V extends Sym>(b: B<V>, op: keyof OpAttrs, ins: V[], a: never): V => b.apply(op, ins, a)[0]!;

function rowsCols(shape: readonly number[]): { R: number; C: number } {
  const C = shape.length ? shape[shape.length - 1]! : 1;
  return { R: C === 0 ? 0 : numel(shape) / C, C };
}

function leaf(op: string, shape: number[], dtype: TypeInfo['dtype']): TypeInfo[] {
  checkShape(op, 'shape', shape);
  return [{ shape: [...shape], dtype }];
}

/** Shapes of a matmul from the stored shapes (rank >= 2; one side may be 2-D and shared). */
export function matmulDims(op: string, a: readonly number[], b: readonly number[], transA: boolean, transB: boolean): mm.MatmulDims & { batchShape: number[] } {
  if (a.length < 2 || b.length < 2) throw new ShapeError(op, `a ${fmtShape(a)} and b ${fmtShape(b)} must both have rank >= 2`);
  const [ar, ac] = a.slice(-2) as [number, number];
  const [br, bc] = b.slice(-2) as [number, number];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) throw new ShapeError(op, `inner dimensions differ: a ${fmtShape(a)}${transA ? 'ᵀ' : ''} · b ${fmtShape(b)}${transB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  const ba = a.slice(0, -2);
  const bb = b.slice(0, -2);
  if (ba.length && bb.length && !sameShape(ba, bb)) throw new ShapeError(op, `batch dimensions differ: a ${fmtShape(a)}, b ${fmtShape(b)}`);
  const batchShape = ba.length ? ba : bb;
  return { batch: numel(batchShape), M, K, N, transA, transB, broadcastA: !ba.length && bb.length > 0, broadcastB: !bb.length && ba.length > 0, batchShape };
}

export const basicOps: { [K in 'input' | 'param' | 'constant' | 'fill' | 'reshape' | 'stop_gradient' | 'permute']: Def<K> } = {
  input: {
    inputs: [],
    infer: (_, a) => leaf('input', a.shape, a.dtype),
    encode: noEncode,
    backward: 'an input has no inputs',
    reference: () => {
      throw new Error('inputs are fed, not computed');
    },
  },
  param: {
    inputs: [],
    infer: (_, a) => leaf('param', a.shape, 'f32'),
    encode: noEncode,
    backward: 'a parameter has no inputs',
    reference: (_, __, a) => [Float64Array.from(a.init)],
  },
  constant: {
    inputs: [],
    infer: (_, a) => {
      if (a.data.length !== numel(a.shape)) throw new ShapeError('constant', `"${a.name}" ${fmtShape(a.shape)} needs ${numel(a.shape)} values, got ${a.data.length}`);
      return leaf('constant', a.shape, a.dtype);
    },
    encode: noEncode,
    backward: 'a constant has no inputs',
    reference: (_, __, a) => [Float64Array.from(a.data)],
  },
  fill: {
    inputs: [],
    infer: (_, a) => leaf('fill', a.shape, 'f32'),
    encode: noEncode,
    backward: 'a filled constant has no inputs',
    reference: (_, __, a) => [new Float64Array(numel(a.shape)).fill(a.value)],
  },
  reshape: {
    inputs: ['x'],
    view: true,
    infer: ([x], a) => {
      checkShape('reshape', 'shape', a.shape);
      if (numel(a.shape) !== numel(x!.shape)) throw new ShapeError('reshape', `cannot reshape ${fmtShape(x!.shape)} (${numel(x!.shape)} elements) to ${fmtShape(a.shape)}`);
      return [{ shape: [...a.shape], dtype: x!.dtype }];
    },
    encode: noEncode,
    // d reshape(x) = reshape(dy) back to x's shape
    backward: (b, [x], _, [dy]) => [one(b, 'reshape', [dy!], { shape: [...x!.shape] } as never)],
    reference: ([x]) => [Float64Array.from(x!)],
  },
  stop_gradient: {
    inputs: ['x'],
    view: true,
    infer: ([x]) => [{ shape: [...x!.shape], dtype: x!.dtype }],
    encode: noEncode,
    // no gradient flows through
    backward: () => [null],
    reference: ([x]) => [Float64Array.from(x!)],
  },
  permute: {
    inputs: ['x'],
    infer: ([x], a) => [{ shape: permuteShape('permute', x!.shape, a.perm), dtype: x!.dtype }],
    encode: async (rec, [x], [y], a) => void (await permuteForward(rec, x!, a.perm, y)),
    // d permute(x, p) = permute(dy, p⁻¹)
    backward: (b, _, __, [dy], a) => [one(b, 'permute', [dy!], { perm: permuteRef.inversePerm(a.perm) } as never)],
    reference: ([x], [t], a) => [permuteRef.permuteForward(x!, t!.shape, a.perm)],
    cost: ([x]) => ({ flops: 0, bytes: 8 * numel(x!.shape) }),
  },
};

function f32(op: string, name: string, t: TypeInfo): void {
  if (t.dtype !== 'f32') throw new ShapeError(op, `${name} ${fmtShape(t.shape)} has dtype ${t.dtype}, expected f32`);
}

export const mathOps: {
  [K in 'binary' | 'unary' | 'unary_backward' | 'sum_to' | 'sum_last' | 'mean_last' | 'sum_rows' | 'sum_last_backward' | 'mean_last_backward' | 'sum_rows_backward' | 'matmul' | 'linear']: Def<K>;
} = {
  binary: {
    inputs: ['a', 'b'],
    infer: ([x, y], a) => {
      f32(a.op, 'a', x!);
      f32(a.op, 'b', y!);
      return [{ shape: broadcastShapes(a.op, x!.shape, y!.shape), dtype: 'f32' }];
    },
    encode: async (rec, [x, y], [out], a) => void (await binaryForward(rec, a.op, x!, y!, out)),
    // add: (dy, dy); sub: (dy, −dy); mul: (dy·b, dy·a); div: (dy/b, −dy·a/b²), each summed to its input's shape
    backward: (b, [x, y], [out], [dy], a) => {
      const bin = (op: ew.BinaryOp, p: Sym, q: Sym): Sym => b.apply('binary', [p, q] as never, { op })[0]!;
      const neg = (p: Sym): Sym => b.apply('unary', [p] as never, { op: 'affine', alpha: -1, beta: 0 })[0]!;
      const to = (g: Sym, s: Sym): Sym => (sameShape(g.shape, s.shape) ? g : b.apply('sum_to', [g] as never, { shape: [...s.shape] })[0]!);
      let ga: Sym = dy!;
      let gb: Sym = dy!;
      if (a.op === 'sub') gb = neg(dy!);
      else if (a.op === 'mul') {
        ga = bin('mul', dy!, y!);
        gb = bin('mul', dy!, x!);
      } else if (a.op === 'div') {
        ga = bin('div', dy!, y!);
        gb = neg(bin('div', bin('mul', dy!, out!), y!)); // −dy·(a/b)/b
      }
      return [to(ga, x!), to(gb, y!)] as never;
    },
    reference: ([x, y], [tx, ty], a) => [ew.binaryForward(a.op, x!, tx!.shape, y!, ty!.shape).out],
    cost: ([x, y]) => ({ flops: Math.max(numel(x!.shape), numel(y!.shape)), bytes: 12 * Math.max(numel(x!.shape), numel(y!.shape)) }),
  },
  unary: {
    inputs: ['x'],
    infer: ([x], a) => {
      f32(a.op, 'x', x!);
      return [{ shape: [...x!.shape], dtype: 'f32' }];
    },
    encode: async (rec, [x], [y], a) => void (await unaryForward(rec, a.op, x!, { alpha: a.alpha, beta: a.beta }, y)),
    // dx = dy·f'(x), from the saved x or y
    backward: (b, [x], [y], [dy], a) => {
      if (a.op === 'step') return [null];
      const saves = UNARY_SAVES[a.op];
      const ins = saves === 'none' ? [dy!] : [dy!, saves === 'x' ? x! : y!];
      return [one(b, 'unary_backward', ins, { op: a.op, alpha: a.alpha, beta: a.beta } as never)];
    },
    reference: ([x], _, a) => [ew.unaryForward(a.op, x!, { alpha: a.alpha, beta: a.beta })],
  },
  unary_backward: {
    inputs: ['dy', 'saved?'],
    infer: ([dy], a) => {
      f32(`${a.op}_backward`, 'dy', dy!);
      return [{ shape: [...dy!.shape], dtype: 'f32' }];
    },
    encode: async (rec, [dy, s], [dx], a) => void (await unaryBackward(rec, a.op, dy!, s ?? null, { alpha: a.alpha, beta: a.beta }, dx)),
    backward: 'second derivatives of activations are not implemented',
    reference: ([dy, s], _, a) => [ew.unaryBackward(a.op, dy!, s ?? null, { alpha: a.alpha, beta: a.beta })],
  },
  sum_to: {
    inputs: ['g'],
    infer: ([g], a) => {
      const bs = broadcastShapes('sum_to', a.shape, g!.shape);
      if (!sameShape(bs, g!.shape)) throw new ShapeError('sum_to', `${fmtShape(g!.shape)} is not a broadcast of ${fmtShape(a.shape)}`);
      return [{ shape: [...a.shape], dtype: 'f32' }];
    },
    encode: async (rec, [g], [y], a) => void (await sumToShape(rec, g!, a.shape, {}, y)),
    // d sum_to(g) = broadcast dy back to g's shape (a binary add with zeros of g's shape)
    backward: (b, [g], _, [dy]) => [one(b, 'binary', [dy!, one(b, 'fill', [], { shape: [...g!.shape], value: 0 } as never)], { op: 'add' } as never)],
    reference: ([g], [t], a) => [red.sumToShape(g!, t!.shape, a.shape)],
  },
  sum_last: {
    inputs: ['x'],
    infer: ([x]) => [{ shape: x!.shape.slice(0, -1), dtype: 'f32' }],
    encode: async (rec, [x], [y]) => void (await sumLastForward(rec, x!, y)),
    // dx[…, c] = dy[…]
    backward: (b, [x], _, [dy]) => [one(b, 'sum_last_backward', [dy!], { shape: [...x!.shape] } as never)],
    reference: ([x], [t]) => [red.sumLastForward(x!, rowsCols(t!.shape).R, rowsCols(t!.shape).C)],
  },
  mean_last: {
    inputs: ['x'],
    infer: ([x]) => [{ shape: x!.shape.slice(0, -1), dtype: 'f32' }],
    encode: async (rec, [x], [y]) => void (await meanLastForward(rec, x!, y)),
    // dx[…, c] = dy[…] / C
    backward: (b, [x], _, [dy]) => [one(b, 'mean_last_backward', [dy!], { shape: [...x!.shape] } as never)],
    reference: ([x], [t]) => [red.meanLastForward(x!, rowsCols(t!.shape).R, rowsCols(t!.shape).C)],
  },
  sum_rows: {
    inputs: ['x'],
    infer: ([x]) => [{ shape: [rowsCols(x!.shape).C], dtype: 'f32' }],
    encode: async (rec, [x], [y]) => void (await sumRowsForward(rec, x!, y)),
    // dx[…, c] = dy[c]
    backward: (b, [x], _, [dy]) => [one(b, 'sum_rows_backward', [dy!], { shape: [...x!.shape] } as never)],
    reference: ([x], [t]) => [red.sumRowsForward(x!, rowsCols(t!.shape).R, rowsCols(t!.shape).C)],
  },
  sum_last_backward: {
    inputs: ['dy'],
    infer: (_, a) => [{ shape: [...a.shape], dtype: 'f32' }],
    encode: async (rec, [dy], [dx], a) => void (await sumLastBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward sum
    backward: (b, _, __, [g]) => [one(b, 'sum_last', [g!], {} as never)],
    reference: ([dy], _, a) => [red.sumLastBackward(dy!, rowsCols(a.shape).R, rowsCols(a.shape).C)],
  },
  mean_last_backward: {
    inputs: ['dy'],
    infer: (_, a) => [{ shape: [...a.shape], dtype: 'f32' }],
    encode: async (rec, [dy], [dx], a) => void (await meanLastBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward mean
    backward: (b, _, __, [g]) => [one(b, 'mean_last', [g!], {} as never)],
    reference: ([dy], _, a) => [red.meanLastBackward(dy!, rowsCols(a.shape).R, rowsCols(a.shape).C)],
  },
  sum_rows_backward: {
    inputs: ['dy'],
    infer: (_, a) => [{ shape: [...a.shape], dtype: 'f32' }],
    encode: async (rec, [dy], [dx], a) => void (await sumRowsBackward(rec, dy!, a.shape, dx)),
    // linear in dy: its vector-Jacobian product is the forward row sum
    backward: (b, _, __, [g]) => [one(b, 'sum_rows', [g!], {} as never)],
    reference: ([dy], _, a) => [red.sumRowsBackward(dy!, rowsCols(a.shape).R, rowsCols(a.shape).C)],
  },
  matmul: {
    inputs: ['a', 'b'],
    infer: ([x, y], a) => {
      f32('matmul', 'a', x!);
      f32('matmul', 'b', y!);
      const d = matmulDims('matmul', x!.shape, y!.shape, a.transA ?? false, a.transB ?? false);
      return [{ shape: [...d.batchShape, d.M, d.N], dtype: 'f32' }];
    },
    encode: async (rec, [x, y], [out], a) => void (await matmulForward(rec, x!, y!, { transA: a.transA, transB: a.transB }, out)),
    // dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC, written in each operand's stored layout
    backward: (b, [x, y], _, [dy], a) => matmulGrads(b, x!, y!, dy!, a.transA ?? false, a.transB ?? false),
    reference: ([x, y], [tx, ty], a) => [mm.matmulForward(x!, y!, matmulDims('matmul', tx!.shape, ty!.shape, a.transA ?? false, a.transB ?? false))],
    cost: ([x, y], a) => {
      const d = matmulDims('matmul', x!.shape, y!.shape, a.transA ?? false, a.transB ?? false);
      return { flops: 2 * d.batch * d.M * d.N * d.K, bytes: 4 * (numel(x!.shape) + numel(y!.shape) + d.batch * d.M * d.N) };
    },
  },
  linear: {
    inputs: ['x', 'w', 'bias'],
    infer: ([x, w, bias], a) => {
      const d = matmulDims('linear', x!.shape, w!.shape, false, a.transB ?? false);
      if (w!.shape.length !== 2) throw new ShapeError('linear', `weight ${fmtShape(w!.shape)} must be 2-D`);
      if (!sameShape(bias!.shape, [d.N])) throw new ShapeError('linear', `bias ${fmtShape(bias!.shape)} must be [${d.N}] for weight ${fmtShape(w!.shape)}`);
      return [{ shape: [...d.batchShape, d.M, d.N], dtype: 'f32' }];
    },
    encode: async (rec, [x, w, bias], [out], a) => void (await matmulForward(rec, x!, w!, { transB: a.transB, bias: bias! }, out)),
    // as matmul for x and w; dbias = Σ_rows dy
    backward: (b, [x, w], _, [dy], a) => [...matmulGrads(b, x!, w!, dy!, false, a.transB ?? false), one(b, 'sum_rows', [dy!], {} as never)],
    reference: ([x, w, bias], [tx, tw], a) => [mm.matmulForward(x!, w!, matmulDims('linear', tx!.shape, tw!.shape, false, a.transB ?? false), bias)],
  },
};

/** dA and dB of op(A)·op(B) in the stored layouts; a shared 2-D operand sums over the batch. */
function matmulGrads<V extends Sym>(b: B<V>, x: V, y: V, dy: V, transA: boolean, transB: boolean): V[] {
  const mmul = (p: V, q: V, ta: boolean, tb: boolean): V => b.apply('matmul', [p, q], { transA: ta, transB: tb })[0]!;
  const flat = (v: V): V => (v.shape.length === 2 ? v : b.apply('reshape', [v], { shape: [numel(v.shape.slice(0, -1)), v.shape[v.shape.length - 1]!] })[0]!);
  const sharedA = x.shape.length === 2 && dy.shape.length > 2;
  const sharedB = y.shape.length === 2 && dy.shape.length > 2;
  // op(A) = dy·op(B)ᵀ  →  A = dy·op(B)ᵀ (transA false) or (dy·op(B)ᵀ)ᵀ = op(B)·dyᵀ (transA true)
  if (sharedA) throw new ShapeError('matmul', `backward of a shared 2-D a ${fmtShape(x.shape)} against a batched b ${fmtShape(y.shape)} is not supported; reshape a batched a instead`);
  if (sharedB && transA) throw new ShapeError('matmul', `backward of a shared 2-D b ${fmtShape(y.shape)} needs an untransposed a (got a ${fmtShape(x.shape)}ᵀ)`);
  const da = transA ? mmul(y, dy, transB, true) : mmul(dy, y, false, !transB);
  // A shared b gets Σ_batch op(A_b)ᵀ·dC_b: the batches stacked as rows make it one product.
  let db: V;
  if (sharedB) db = transB ? mmul(flat(dy), flat(x), true, false) : mmul(flat(x), flat(dy), true, false);
  else db = transB ? mmul(dy, x, true, transA) : mmul(x, dy, !transA, false);
  return [da, db];
}
