// Float64 reference of dropout with the counter-based mask of shaders/dropout.wgsl.
import { hashKey, streamKey } from '../util/prng';

/** Element i's uniform in [0, 1): a 16-bit half of hashKey(streamKey(seed, step), i >> 1). */
export function dropoutUniform(key: number, i: number): number {
  const h = hashKey(key, i >>> 1);
  return ((i & 1 ? h >>> 16 : h & 0xffff) >>> 0) / 65536;
}

export function dropoutMask(n: number, p: number, seed: number, step: number): Float64Array {
  const key = streamKey(seed, step);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = dropoutUniform(key, i) < p ? 0 : 1 / (1 - p);
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
