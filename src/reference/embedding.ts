// Float64 reference of the embedding gather and its scatter-add backward (shaders/embedding.wgsl).
// An id outside [0, V) gathers a NaN row (a loud flag, never an out-of-bounds read) and
// contributes nothing to the table gradient.

function valid(id: number, V: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < V;
}

// table is (V,D), ids is (N) → out is (N,D): out[n] = table[ids[n]]
export function embeddingForward(table: ArrayLike<number>, ids: ArrayLike<number>, V: number, D: number): Float64Array {
  const N = ids.length;
  const out = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const id = ids[n]!;
    for (let d = 0; d < D; d++) out[n * D + d] = valid(id, V) ? table[id * D + d]! : NaN;
  }
  return out;
}

// d out[n] / d table[v] = [ids[n] = v]  ⇒  dtable[v] = Σ_{n : ids[n] = v} dout[n]
export function embeddingBackward(dout: ArrayLike<number>, ids: ArrayLike<number>, V: number, D: number): Float64Array {
  const dtable = new Float64Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (!valid(id, V)) continue;
    for (let d = 0; d < D; d++) dtable[id * D + d] = dtable[id * D + d]! + dout[n * D + d]!;
  }
  return dtable;
}
