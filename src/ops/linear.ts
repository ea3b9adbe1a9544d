// linear: y = x·w + bias (w stored (out, in) when transB), the bias added in the matmul kernel
// (src/ops/matmul.ts). x is (...batch, M, K), w is 2-D and shared by every batch. Backward: the
// matmul gradients for x and w and dbias = Σ_rows dy; nothing saved beyond x and w.
import { ShapeError, fmtShape } from '../util/errors';
import { checkBias, matmulForward, matmulGrads, matmulShape, type MatmulShape } from './matmul';
import { defineOps, type Typed } from './registry_types';
import * as ref from '../reference/matmul';

/** linear's shape rule: matmul's with w 2-D and bias f32 (N); y is (...batch, M, N). */
export function linearShape(op: string, x: Typed, w: Typed, bias: Typed, transB: boolean): MatmulShape {
  const d = matmulShape(op, x, w, false, transB);
  if (w.shape.length !== 2) throw new ShapeError(op, `weight ${fmtShape(w.shape)} must be 2-D`);
  checkBias(op, bias, d.N);
  return d;
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    /** y = x·w + bias (w stored (out, in) when transB), the bias fused into the matmul epilogue. */
    linear: { transB?: boolean };
  }
}

export const linearOps = defineOps({
  linear: {
    inputs: ['x', 'w', 'bias'],
    infer: ([x, w, bias], a) => {
      const d = linearShape('linear', x!, w!, bias!, a.transB ?? false);
      return [{ shape: [...d.batchShape, d.M, d.N], dtype: 'f32' }];
    },
    encode: async (rec, [x, w, bias], [out], a) =>
      void (await matmulForward(rec, x!, w!, { transB: a.transB, bias: bias! }, out)),
    // as matmul for x and w; dbias = Σ_rows dy
    backward: (b, [x, w], _, [dy], a) => [
      ...matmulGrads(b, x!, w!, dy!, false, a.transB ?? false),
      b.op('sum_rows', [dy!], {}),
    ],
    reference: ([x, w, bias], [tx, tw], a) => [
      ref.matmulForward(x!, w!, matmulShape('linear', tx!, tw!, false, a.transB ?? false), bias),
    ],
  },
});
