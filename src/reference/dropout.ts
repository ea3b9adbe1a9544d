// Float64 reference of dropout with the counter-based mask of shaders/dropout.wgsl.
import { uniform01 } from '../util/prng';

export function dropoutMask(n: number, p: number, seed: number, step: number): Float64Array {
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = uniform01(seed, step, i) < p ? 0 : 1 / (1 - p);
  return m;
}

// y = x * mask
export function dropoutForward(x: ArrayLike<number>, p: number, seed: number, step: number): Float64Array {
  const m = dropoutMask(x.length, p, seed, step);
  return Float64Array.from(m, (v, i) => v * x[i]!);
}

// dx = dy * mask (d(x*m)/dx = m)
export function dropoutBackward(dy: ArrayLike<number>, p: number, seed: number, step: number): Float64Array {
  return dropoutForward(dy, p, seed, step);
}
