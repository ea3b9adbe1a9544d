// Float64 reference of one word2vec minibatch step with negative sampling (shaders/word2vec.wgsl).
// Every example's gradient is computed from the parameters as they were before the batch, then
// all are added (colliding rows summed): "Hogwild-free" minibatch SGD, with one exception:
//   chains — consecutive examples with the same valid positive id (skip-gram: the pairs of one
//   center word) are taken in order, each reading the positive's row as updated by the earlier
//   ones (word2vec.c's order); their negatives and inputs are still read from before the batch.
//   h      = mean of syn0[in] over the example's valid input ids   (skip-gram: one id)
//   f_j    = h · syn1[out_j],  label_j = 1 for j = 0 (the positive), 0 for the negatives
//   g_j    = (label_j − σ(f_j)) · lr                                  (word2vec.c's g, no exp table)
//   syn1[out_j] += g_j · h            syn0[in_s] += Σ_j g_j · syn1[out_j]   (not divided by the count)
//   loss   = −log σ(f_0) − Σ_{j>0} log σ(−f_j)
// Ids −1 are skipped (empty input slots, negatives equal to the positive, padding examples).

export interface RefBatch {
  examples: number;
  slots: number;
  outs: number;
  inIds: ArrayLike<number>;
  outIds: ArrayLike<number>;
  lr: ArrayLike<number>;
}

const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Per-example gradients: dIn (E, S, D) and dOut (E, O, D), and per-example losses. */
export function sgnsGrads(
  syn0: ArrayLike<number>,
  syn1: ArrayLike<number>,
  D: number,
  b: RefBatch,
): { dIn: Float64Array; dOut: Float64Array; loss: Float64Array } {
  const { examples: E, slots: S, outs: O } = b;
  const dIn = new Float64Array(E * S * D);
  const dOut = new Float64Array(E * O * D);
  const loss = new Float64Array(E);
  const h = new Float64Array(D);
  const e1 = new Float64Array(D);
  // the chain's positive row: syn1[w] plus the updates of the chain's earlier examples
  const pos = new Float64Array(D);
  for (let e = 0; e < E; e++) {
    const w = b.outIds[e * O]!;
    if (!(e > 0 && w >= 0 && b.outIds[(e - 1) * O] === w))
      for (let d = 0; d < D; d++) pos[d] = w >= 0 ? syn1[w * D + d]! : 0;
    h.fill(0);
    e1.fill(0);
    let cnt = 0;
    for (let s = 0; s < S; s++) {
      const id = b.inIds[e * S + s]!;
      if (id < 0) continue;
      cnt++;
      for (let d = 0; d < D; d++) h[d]! += syn0[id * D + d]!;
    }
    if (cnt === 0) continue;
    for (let d = 0; d < D; d++) h[d]! /= cnt;
    for (let j = 0; j < O; j++) {
      const o = b.outIds[e * O + j]!;
      if (o < 0) continue;
      // the positive's row comes from the chain's running copy
      const [row, at] = j === 0 ? [pos, 0] : [syn1, o * D];
      let f = 0;
      for (let d = 0; d < D; d++) f += h[d]! * row[at + d]!;
      const label = j === 0 ? 1 : 0;
      const g = (label - 1 / (1 + Math.exp(-f))) * b.lr[e]!;
      loss[e]! += softplus(j === 0 ? -f : f);
      for (let d = 0; d < D; d++) {
        dOut[(e * O + j) * D + d] = g * h[d]!;
        e1[d]! += g * row[at + d]!;
      }
    }
    for (let d = 0; d < D; d++) pos[d]! += dOut[e * O * D + d]!;
    for (let s = 0; s < S; s++) if (b.inIds[e * S + s]! >= 0) dIn.set(e1, (e * S + s) * D);
  }
  return { dIn, dOut, loss };
}

/** One step in place: syn0 and syn1 (V, D) updated by the summed gradients. Returns per-example losses. */
export function sgnsStep(
  syn0: Float64Array | Float32Array,
  syn1: Float64Array | Float32Array,
  D: number,
  b: RefBatch,
): Float64Array {
  const { dIn, dOut, loss } = sgnsGrads(syn0, syn1, D, b);
  const { examples: E, slots: S, outs: O } = b;
  for (let r = 0; r < E * O; r++) {
    const o = b.outIds[r]!;
    if (o >= 0) for (let d = 0; d < D; d++) syn1[o * D + d]! += dOut[r * D + d]!;
  }
  for (let r = 0; r < E * S; r++) {
    const id = b.inIds[r]!;
    if (id >= 0) for (let d = 0; d < D; d++) syn0[id * D + d]! += dIn[r * D + d]!;
  }
  return loss;
}
