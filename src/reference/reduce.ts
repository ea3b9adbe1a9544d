// Float64 reference of shaders/reduce.wgsl: sum / mean / max over the last axis, sum over rows,
// the general sum of a broadcast gradient back to an input shape, the global L2 norm of a list
// of tensors and the clip scale that uses it.
//
// max: NaN counts as larger than every number (a row holding a NaN has max NaN, argmax at its
// first NaN); ties go to the first index.
import { broadcastStrides, numel, type Shape } from '../util/shape';

// x is (R,C); out is (R): out[r] = scale · Σ_c x[r,c]
export function sumLastForward(x: ArrayLike<number>, R: number, C: number, scale = 1): Float64Array {
  const out = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c]!;
    out[r] = scale * s;
  }
  return out;
}

// dx[r,c] = scale · dy[r]
export function sumLastBackward(dy: ArrayLike<number>, R: number, C: number, scale = 1): Float64Array {
  const dx = new Float64Array(R * C);
  for (let r = 0; r < R; r++) dx.fill(scale * dy[r]!, r * C, (r + 1) * C);
  return dx;
}

// x is (R,C); out is (R): the mean of each row
export function meanLastForward(x: ArrayLike<number>, R: number, C: number): Float64Array {
  return sumLastForward(x, R, C, 1 / C);
}

// dx[r,c] = dy[r] / C
export function meanLastBackward(dy: ArrayLike<number>, R: number, C: number): Float64Array {
  return sumLastBackward(dy, R, C, 1 / C);
}

// x is (R,C); out is (C): out[c] = Σ_r x[r,c]  (bias gradients)
export function sumRowsForward(x: ArrayLike<number>, R: number, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c]! += x[r * C + c]!;
  return out;
}

// dx[r,c] = dy[c]
export function sumRowsBackward(dy: ArrayLike<number>, R: number, C: number): Float64Array {
  const dx = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) dx[r * C + c] = dy[c]!;
  return dx;
}

// x is (R,C); values, indices are (R)
export function maxLastForward(
  x: ArrayLike<number>,
  R: number,
  C: number,
): { values: Float64Array; indices: Int32Array } {
  const values = new Float64Array(R).fill(-Infinity);
  const indices = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    let k = 0;
    for (let c = 0; c < C; c++) {
      const v = x[r * C + c]!;
      if (Number.isNaN(v)) {
        m = NaN;
        k = c;
        break;
      }
      if (v > m) {
        m = v;
        k = c;
      }
    }
    values[r] = C > 0 ? m : -Infinity;
    indices[r] = k;
  }
  return { values, indices };
}

// dx[r,c] = dy[r] where c = argmax[r], else 0
export function maxLastBackward(dy: ArrayLike<number>, indices: ArrayLike<number>, R: number, C: number): Float64Array {
  const dx = new Float64Array(R * C);
  for (let r = 0; r < R; r++) dx[r * C + indices[r]!] = dy[r]!;
  return dx;
}

// g has gShape, a broadcast of `shape`; out has `shape`: g summed over the broadcast axes
export function sumToShape(g: ArrayLike<number>, gShape: Shape, shape: Shape, scale = 1): Float64Array {
  const out = new Float64Array(numel(shape));
  const st = broadcastStrides(shape, gShape);
  const n = numel(gShape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = gShape.length - 1; d >= 0; d--) {
      j += (rem % gShape[d]!) * st[d]!;
      rem = Math.floor(rem / gShape[d]!);
    }
    out[j]! += g[i]!;
  }
  for (let j = 0; j < out.length; j++) out[j]! *= scale;
  return out;
}

// √(Σ_t Σ_i t_i²) over a list of tensors
export function globalNorm(tensors: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) s += t[i]! * t[i]!;
  return Math.sqrt(s);
}

/** min(1, maxNorm / (norm + eps)); NaN when the norm is NaN (so the problem stays visible). */
export function clipScaleFactor(norm: number, maxNorm: number, eps: number): number {
  if (Number.isNaN(norm)) return NaN;
  return Math.min(1, maxNorm / (norm + eps));
}

// each tensor t ← t · min(1, maxNorm / (norm + eps))
export function clipScale(
  tensors: readonly ArrayLike<number>[],
  norm: number,
  maxNorm: number,
  eps: number,
): Float64Array[] {
  const s = clipScaleFactor(norm, maxNorm, eps);
  return tensors.map((t) => Float64Array.from(t, (v) => v * s));
}
