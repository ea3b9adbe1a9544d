// Float64 reference of permute (transpose of axes) for any rank.
import { stridesOf } from '../util/shape';

// y = x.permute(perm); x has shape `shape`
export function permuteForward(x: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float64Array {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const n = x.length;
  const y = new Float64Array(n);
  const coord = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let k = outShape.length - 1; k >= 0; k--) {
      coord[k] = r % outShape[k]!;
      r = Math.floor(r / outShape[k]!);
    }
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += coord[k]! * inStrides[perm[k]!]!;
    y[i] = x[src]!;
  }
  return y;
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

// dx = dy.permute(inverse(perm)); dy has the output shape
export function permuteBackward(
  dy: ArrayLike<number>,
  shape: readonly number[],
  perm: readonly number[],
): Float64Array {
  const outShape = perm.map((p) => shape[p]!);
  return permuteForward(dy, outShape, inversePerm(perm));
}
