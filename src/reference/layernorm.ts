// Float64 reference of shaders/layernorm.wgsl: layer normalisation over the last axis C of
// (R, C) with gamma and beta (C). Forward saves mean and rstd (R each), all backward needs
// besides x and gamma. Statistics are biased (divide by C). With C = 0 there is nothing to
// normalise and mean = rstd = 0.

export interface LayernormRefResult {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

// x is (R,C), gamma and beta are (C); y = (x − mean)·rstd·gamma + beta, rstd = 1/sqrt(var + eps)
export function layernormForward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  R: number,
  C: number,
  eps: number,
): LayernormRefResult {
  const y = new Float64Array(R * C);
  const mean = new Float64Array(R);
  const rstd = new Float64Array(R);
  if (C === 0) return { y, mean, rstd };
  for (let r = 0; r < R; r++) {
    const base = r * C;
    let s = 0;
    for (let j = 0; j < C; j++) s += x[base + j]!;
    const m = s / C;
    let v = 0;
    for (let j = 0; j < C; j++) v += (x[base + j]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let j = 0; j < C; j++) y[base + j] = (x[base + j]! - m) * rs * gamma[j]! + beta[j]!;
    mean[r] = m;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

export interface LayernormRefGrads {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

// with xhat = (x − mean)·rstd and g = dy·gamma:
// dx = rstd·(g − mean_C(g) − xhat·mean_C(g·xhat)),  dgamma = Σ_R dy·xhat,  dbeta = Σ_R dy
export function layernormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  R: number,
  C: number,
): LayernormRefGrads {
  const dx = new Float64Array(R * C);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    const base = r * C;
    const m = mean[r]!;
    const rs = rstd[r]!;
    let a = 0;
    let b = 0;
    for (let j = 0; j < C; j++) {
      const xh = (x[base + j]! - m) * rs;
      const g = dy[base + j]! * gamma[j]!;
      a += g;
      b += g * xh;
      dgamma[j]! += dy[base + j]! * xh;
      dbeta[j]! += dy[base + j]!;
    }
    a /= C;
    b /= C;
    for (let j = 0; j < C; j++) {
      const xh = (x[base + j]! - m) * rs;
      dx[base + j] = rs * (dy[base + j]! * gamma[j]! - a - xh * b);
    }
  }
  return { dx, dgamma, dbeta };
}
