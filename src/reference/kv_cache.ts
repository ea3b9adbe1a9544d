// Float64 reference of shaders/kv_cache.wgsl. cache is (R, T, d), newRow (R, d), p clamped to
// [0, T).

function clampPos(p: number, T: number): number {
  return Math.min(T - 1, Math.max(0, Math.trunc(p)));
}

/** The cache with position p of every row replaced by newRow (what attention reads). */
export function kvCacheForward(
  cache: ArrayLike<number>,
  newRow: ArrayLike<number>,
  p: number,
  R: number,
  T: number,
  d: number,
): Float64Array {
  const out = Float64Array.from(cache);
  const s = clampPos(p, T);
  for (let r = 0; r < R; r++) for (let j = 0; j < d; j++) out[(r * T + s) * d + j] = newRow[r * d + j]!;
  return out;
}

/** The in-place store computes the same array (the new cache). */
export const kvCacheStore = kvCacheForward;
