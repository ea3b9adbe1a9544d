// Float64 reference of the fused softmax + cross-entropy of shaders/cross_entropy.wgsl.
// Conventions the kernel follows exactly: rows whose target equals `ignoreIndex` have loss 0 and
// gradient 0 and are not counted; a target outside [0, V) (and not the ignore index) is counted
// and gives a NaN loss and a NaN gradient row (a loud flag, never an out-of-bounds read); the mean
// over zero counted rows is 0, not NaN.

export interface CrossEntropyResult {
  /** Per-row loss (R): logsumexp(logits[r]) − logits[r, t], 0 on ignored rows. */
  losses: Float64Array;
  /** Mean of `losses` over the counted rows (0 when no row is counted). */
  loss: number;
  /** Rows whose target is not the ignore index. */
  count: number;
}

function ignored(t: number, ignoreIndex: number): boolean {
  return t === ignoreIndex;
}

function inRange(t: number, V: number): boolean {
  return Number.isInteger(t) && t >= 0 && t < V;
}

/** Max-subtracted softmax of one row: returns (max, Σ exp(x − max)). */
function rowStats(logits: ArrayLike<number>, r: number, V: number): { m: number; s: number } {
  let m = -Infinity;
  for (let j = 0; j < V; j++) m = Math.max(m, logits[r * V + j]!);
  let s = 0;
  for (let j = 0; j < V; j++) s += Math.exp(logits[r * V + j]! - m);
  return { m, s };
}

// logits is (R,V), targets is (R)
export function crossEntropyForward(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  R: number,
  V: number,
  ignoreIndex: number,
): CrossEntropyResult {
  const losses = new Float64Array(R);
  let count = 0;
  let sum = 0;
  for (let r = 0; r < R; r++) {
    const t = targets[r]!;
    if (ignored(t, ignoreIndex)) continue;
    count++;
    if (!inRange(t, V)) {
      losses[r] = NaN;
    } else {
      const { m, s } = rowStats(logits, r, V);
      losses[r] = m + Math.log(s) - logits[r * V + t]!;
    }
    sum += losses[r]!;
  }
  return { losses, loss: count > 0 ? sum / count : 0, count };
}

// d mean / d logits[r, j] = (softmax(logits[r])_j − [j = t_r]) / count, times dloss; 0 on ignored rows
export function crossEntropyBackward(
  dloss: number,
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  R: number,
  V: number,
  ignoreIndex: number,
): Float64Array {
  const dlogits = new Float64Array(R * V);
  let count = 0;
  for (let r = 0; r < R; r++) if (!ignored(targets[r]!, ignoreIndex)) count++;
  const scale = dloss / Math.max(count, 1);
  for (let r = 0; r < R; r++) {
    const t = targets[r]!;
    if (ignored(t, ignoreIndex)) continue;
    if (!inRange(t, V)) {
      dlogits.fill(NaN, r * V, (r + 1) * V);
      continue;
    }
    const { m, s } = rowStats(logits, r, V);
    for (let j = 0; j < V; j++) {
      const p = Math.exp(logits[r * V + j]! - m) / s;
      dlogits[r * V + j] = (p - (j === t ? 1 : 0)) * scale;
    }
  }
  return dlogits;
}
