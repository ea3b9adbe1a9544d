// Float64 reference of shaders/softmax.wgsl: softmax over the last axis of (R, C) with a scale
// and an optional causal mask. With `causal`, rows are viewed as (…, T, T) with T = C: element j
// of row r is masked when j > r mod T; masked elements are never read and come out exactly 0.
// A NaN (or +Inf) among a row's unmasked elements makes the whole row NaN.

export interface SoftmaxRefArgs {
  scale: number;
  causal: boolean;
}

/** Number of unmasked leading elements of row r (all C without a mask). */
export function softmaxRowLength(r: number, C: number, causal: boolean): number {
  return causal ? Math.min(C, (r % C) + 1) : C;
}

// x is (R,C); y = softmax(scale·x) along C
export function softmaxForward(x: ArrayLike<number>, R: number, C: number, a: SoftmaxRefArgs): Float64Array {
  const y = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    const base = r * C;
    const n = softmaxRowLength(r, C, a.causal);
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, a.scale * x[base + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(a.scale * x[base + j]! - m);
    for (let j = 0; j < n; j++) y[base + j] = Math.exp(a.scale * x[base + j]! - m) / s;
  }
  return y;
}

// dx = scale · y ⊙ (dy − Σ_j dy_j·y_j), per row (from the saved y); masked elements get 0
export function softmaxBackward(
  dy: ArrayLike<number>,
  y: ArrayLike<number>,
  R: number,
  C: number,
  a: SoftmaxRefArgs,
): Float64Array {
  const dx = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    const base = r * C;
    const n = softmaxRowLength(r, C, a.causal);
    let s = 0;
    for (let j = 0; j < n; j++) s += dy[base + j]! * y[base + j]!;
    for (let j = 0; j < n; j++) dx[base + j] = a.scale * y[base + j]! * (dy[base + j]! - s);
  }
  return dx;
}
