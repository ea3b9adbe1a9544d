// matmul: batched out = op(a)·op(b) + bias on shaders/matmul.wgsl, in the forms NN, NT
// (b stored transposed: y = x·Wᵀ), TN and TT, and its backward built from the same kernel.
// a is (...batch, M, K) (or (...batch, K, M) with transA), b is (...batch, K, N) (or (N, K)
// with transB); one of them may be 2-D and is then shared by every batch (x (B·T, C) · W).
// Backward saves nothing itself: it needs a and b. The variant and its tiles default to
// ctx.tuning (matmul.variant, matmul.<variant>.*); kernel selection and dispatch: matmul_kernel.ts.
import { ShapeError, fmtShape } from '../util/errors';
import { expectShape, numel, sameShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType } from './common';
import { defineOps, type GradBuilder, type Sym, type Typed, type TypeInfo } from './registry_types';
import {
  checkTiles,
  columnSums,
  launchProduct,
  matmulKernel,
  matmulTiles,
  type MatmulTiles,
  type MatmulVariant,
} from './matmul_kernel';
import * as ref from '../reference/matmul';

export interface MatmulOptions {
  /** a is stored (...batch, K, M): the product uses aᵀ. */
  transA?: boolean;
  /** b is stored (...batch, N, K): the product uses bᵀ (a Linear weight stored (out, in)). */
  transB?: boolean;
  /** (N), added to every row. */
  bias?: Tensor | null;
  /** 'auto' (default) takes the tuning table's matmul.variant (see matmulKernel); or force one. */
  variant?: MatmulVariant;
  /** Tile constants on top of the variant's defaults (tuning and benchmarks). */
  tiles?: Partial<MatmulTiles>;
}

/** Shapes of one call after validation (a float64 reference's MatmulDims too). */
export interface MatmulShape {
  transA: boolean;
  transB: boolean;
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

/** matmul's shape rule: a, b f32 of rank ≥ 2, inner dimensions equal, batch dimensions equal or one side 2-D (shared). */
export function matmulShape(op: string, a: Typed, b: Typed, transA: boolean, transB: boolean): MatmulShape {
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
    const form = `a ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · b ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''}`;
    throw new ShapeError(
      op,
      `inner dimensions differ: ${form}: ${sa} is ${fmtShape(a.shape)} (K = ${K}), ${sb} is ${fmtShape(b.shape)} (K = ${Kb})`,
    );
  }
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  if (ba.length > 0 && bb.length > 0 && !sameShape(ba, bb)) {
    throw new ShapeError(
      op,
      `batch dimensions of a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} differ; they must be equal or one operand must be 2-D`,
    );
  }
  const batchShape = ba.length > 0 ? ba : bb;
  return {
    transA,
    transB,
    M,
    K,
    N,
    batch: numel(batchShape),
    batchShape,
    broadcastA: ba.length === 0 && bb.length > 0,
    broadcastB: bb.length === 0 && ba.length > 0,
  };
}

export function checkBias(op: string, bias: Typed | null | undefined, N: number): void {
  if (!bias) return;
  expectDType(op, 'bias', bias, 'f32');
  expectShape(op, 'bias', bias.shape, [N]);
}

// out = op(a)·op(b) + bias; a is (...batch, M, K), b is (...batch, K, N), out is (...batch, M, N)
export async function matmulForward(
  rec: Recorder,
  a: Tensor,
  b: Tensor,
  opts: MatmulOptions = {},
  out?: Tensor,
): Promise<Tensor> {
  const op = 'matmul';
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const d = matmulShape(op, a, b, transA, transB);
  checkBias(op, opts.bias, d.N);
  const kind = matmulKernel(rec.ctx, opts.variant);
  checkTiles(op, rec.ctx, kind, matmulTiles(rec.ctx.tuning, kind, opts.tiles));
  const shape = [...d.batchShape, d.M, d.N];
  if (out) {
    expectDType(op, 'out', out, 'f32');
    expectShape(op, 'out', out.shape, shape);
  }
  const y = out ?? emptyTensor(rec.ctx, shape, 'f32', op);
  await launchProduct(
    rec,
    op,
    {
      x: a,
      y: b,
      transX: transA,
      transY: transB,
      M: d.M,
      K: d.K,
      N: d.N,
      batch: d.batch,
      broadcastX: d.broadcastA,
      broadcastY: d.broadcastB,
      sum: false,
      bias: opts.bias ?? null,
      kind,
      tiles: opts.tiles,
    },
    y,
  );
  return y;
}

export type MatmulBackwardOptions = MatmulOptions;

export interface MatmulGrads {
  /** Gradient of a, in a's storage layout and shape. */
  da: Tensor;
  db: Tensor;
  /** (N), when the forward had a bias. */
  dbias: Tensor | null;
}

// da = dout·op(b)ᵀ,  db = op(a)ᵀ·dout (summed over the batch when a / b was broadcast), both in
// the stored layout;  dbias = Σ_rows dout
export async function matmulBackward(
  rec: Recorder,
  dout: Tensor,
  a: Tensor,
  b: Tensor,
  opts: MatmulBackwardOptions = {},
): Promise<MatmulGrads> {
  const op = 'matmul_backward';
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const bias = opts.bias ?? null;
  const d = matmulShape(op, a, b, transA, transB);
  checkBias(op, bias, d.N);
  expectDType(op, 'dout', dout, 'f32');
  expectShape(op, 'dout', dout.shape, [...d.batchShape, d.M, d.N]);
  const kind = matmulKernel(rec.ctx, opts.variant);
  const tiles = opts.tiles;
  checkTiles(op, rec.ctx, kind, matmulTiles(rec.ctx.tuning, kind, tiles));
  const ctx = rec.ctx;
  const { M, K, N, batch } = d;
  const base = { batch, bias: null, kind, tiles };
  // da: (M, K) = dout·op(b)ᵀ, or stored (K, M) = op(b)·doutᵀ
  const da = emptyTensor(ctx, a.shape, 'f32', `${op}.da`);
  const daSum = d.broadcastA;
  await launchProduct(
    rec,
    op,
    transA
      ? {
          ...base,
          x: b,
          y: dout,
          transX: transB,
          transY: true,
          M: K,
          K: N,
          N: M,
          broadcastX: d.broadcastB,
          broadcastY: false,
          sum: daSum,
        }
      : {
          ...base,
          x: dout,
          y: b,
          transX: false,
          transY: !transB,
          M,
          K: N,
          N: K,
          broadcastX: false,
          broadcastY: d.broadcastB,
          sum: daSum,
        },
    da,
  );
  // db: (K, N) = op(a)ᵀ·dout, or stored (N, K) = doutᵀ·op(a)
  const db = emptyTensor(ctx, b.shape, 'f32', `${op}.db`);
  const dbSum = d.broadcastB;
  await launchProduct(
    rec,
    op,
    transB
      ? {
          ...base,
          x: dout,
          y: a,
          transX: true,
          transY: transA,
          M: N,
          K: M,
          N: K,
          broadcastX: false,
          broadcastY: d.broadcastA,
          sum: dbSum,
        }
      : {
          ...base,
          x: a,
          y: dout,
          transX: !transA,
          transY: false,
          M: K,
          K: M,
          N,
          broadcastX: d.broadcastA,
          broadcastY: false,
          sum: dbSum,
        },
    db,
  );

  let dbias: Tensor | null = null;
  if (bias) {
    dbias = emptyTensor(ctx, [N], 'f32', `${op}.dbias`);
    await columnSums(rec, op, dout, batch * M, N, dbias);
  }
  return { da, db, dbias };
}

/** dA and dB of op(A)·op(B) in the stored layouts; a shared 2-D operand sums over the batch. */
export function matmulGrads(b: GradBuilder, x: Sym, y: Sym, dy: Sym, transA: boolean, transB: boolean): Sym[] {
  const flat = (v: Sym): Sym =>
    v.shape.length === 2 ? v : b.reshape(v, [numel(v.shape.slice(0, -1)), v.shape[v.shape.length - 1]!]);
  const sharedA = x.shape.length === 2 && dy.shape.length > 2;
  const sharedB = y.shape.length === 2 && dy.shape.length > 2;
  if (sharedA)
    throw new ShapeError(
      'matmul',
      `backward of a shared 2-D a ${fmtShape(x.shape)} against a batched b ${fmtShape(y.shape)} is not supported; reshape a batched a instead`,
    );
  if (sharedB && transA)
    throw new ShapeError(
      'matmul',
      `backward of a shared 2-D b ${fmtShape(y.shape)} needs an untransposed a (got a ${fmtShape(x.shape)}ᵀ)`,
    );
  // op(A) = dy·op(B)ᵀ  →  A = dy·op(B)ᵀ (transA false) or (dy·op(B)ᵀ)ᵀ = op(B)·dyᵀ (transA true)
  const da = transA ? b.matmul(y, dy, transB, true) : b.matmul(dy, y, false, !transB);
  // op(B) = op(A)ᵀ·dy; a shared b gets Σ_batch op(A_b)ᵀ·dy_b: the batches stacked as rows make it one product
  const db = sharedB
    ? transB
      ? b.matmul(flat(dy), flat(x), true, false)
      : b.matmul(flat(x), flat(dy), true, false)
    : transB
      ? b.matmul(dy, x, true, transA)
      : b.matmul(x, dy, !transA, false);
  return [da, db];
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    matmul: { transA?: boolean; transB?: boolean };
  }
}

export const matmulOps = defineOps({
  matmul: {
    inputs: ['a', 'b'],
    infer: ([x, y], a): TypeInfo[] => {
      const d = matmulShape('matmul', x!, y!, a.transA ?? false, a.transB ?? false);
      return [{ shape: [...d.batchShape, d.M, d.N], dtype: 'f32' }];
    },
    encode: async (rec, [x, y], [out], a) =>
      void (await matmulForward(rec, x!, y!, { transA: a.transA, transB: a.transB }, out)),
    // dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC, written in each operand's stored layout
    backward: (b, [x, y], _, [dy], a) => matmulGrads(b, x!, y!, dy!, a.transA ?? false, a.transB ?? false),
    reference: ([x, y], [tx, ty], a) => [
      ref.matmulForward(x!, y!, matmulShape('matmul', tx!, ty!, a.transA ?? false, a.transB ?? false)),
    ],
  },
});
