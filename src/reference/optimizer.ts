// Float64 references of the optimizer updates in shaders/optimizer.wgsl: Adam / AdamW and SGD
// with momentum, one step and many steps. Pure functions: inputs are left untouched and the new
// parameter and state come back as fresh Float64Arrays. All arrays are flat, one value per
// parameter element (param, grad, m, v, buf all have the parameter's shape).

export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** true: AdamW (p ← p − lr·wd·p); false: Adam with L2 (g ← g + wd·p). */
  decoupled: boolean;
}

export interface AdamState {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** 1 − β^t without cancellation for β near 1 (t ≥ 1). */
export function biasCorrection(beta: number, t: number): number {
  return -Math.expm1(t * Math.log(beta));
}

// One Adam / AdamW step t (t ≥ 1), PyTorch order (torch/optim/adam.py, `_single_tensor_adam`):
//   g ← gscale·g;  AdamW: p ← p·(1 − lr·wd)  |  Adam: g ← g + wd·p
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   p ← p − lr·(m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)
export function adamStep(
  p: ArrayLike<number>,
  g: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  cfg: AdamConfig,
  lr: number,
  t: number,
  gscale = 1,
): AdamState {
  const n = p.length;
  const out: AdamState = { p: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  const bc1 = biasCorrection(cfg.beta1, t);
  const bc2 = biasCorrection(cfg.beta2, t);
  for (let i = 0; i < n; i++) {
    let pi = p[i]!;
    let gi = g[i]! * gscale;
    if (cfg.decoupled) pi *= 1 - lr * cfg.weightDecay;
    else gi += cfg.weightDecay * pi;
    const mi = cfg.beta1 * m[i]! + (1 - cfg.beta1) * gi;
    const vi = cfg.beta2 * v[i]! + (1 - cfg.beta2) * gi * gi;
    out.m[i] = mi;
    out.v[i] = vi;
    out.p[i] = pi - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + cfg.eps);
  }
  return out;
}

/** Steps t = 1 … grads.length from zero state; lr(t) gives the learning rate of step t. */
export function adamSteps(
  p0: ArrayLike<number>,
  grads: readonly ArrayLike<number>[],
  cfg: AdamConfig,
  lr: (t: number) => number,
  gscale = 1,
): AdamState {
  let s: AdamState = { p: Float64Array.from(p0), m: new Float64Array(p0.length), v: new Float64Array(p0.length) };
  grads.forEach((g, k) => {
    s = adamStep(s.p, g, s.m, s.v, cfg, lr(k + 1), k + 1, gscale);
  });
  return s;
}

export interface SgdConfig {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface SgdState {
  p: Float64Array;
  /** The momentum buffer (all zeros and unused when momentum = 0). */
  buf: Float64Array;
}

// One SGD step t (t ≥ 1), PyTorch order (torch/optim/sgd.py, `_single_tensor_sgd`):
//   g ← gscale·g + wd·p
//   momentum ≠ 0: buf ← g at t = 1, else μ·buf + (1 − dampening)·g;  g ← g + μ·buf (Nesterov) or buf
//   p ← p − lr·g
export function sgdStep(
  p: ArrayLike<number>,
  g: ArrayLike<number>,
  buf: ArrayLike<number>,
  cfg: SgdConfig,
  lr: number,
  t: number,
  gscale = 1,
): SgdState {
  const n = p.length;
  const out: SgdState = { p: new Float64Array(n), buf: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    let d = g[i]! * gscale + cfg.weightDecay * p[i]!;
    if (cfg.momentum !== 0) {
      const b = t <= 1 ? d : cfg.momentum * buf[i]! + (1 - cfg.dampening) * d;
      out.buf[i] = b;
      d = cfg.nesterov ? d + cfg.momentum * b : b;
    }
    out.p[i] = p[i]! - lr * d;
  }
  return out;
}

/** Steps t = 1 … grads.length from an empty momentum buffer; lr(t) gives the learning rate of step t. */
export function sgdSteps(
  p0: ArrayLike<number>,
  grads: readonly ArrayLike<number>[],
  cfg: SgdConfig,
  lr: (t: number) => number,
  gscale = 1,
): SgdState {
  let s: SgdState = { p: Float64Array.from(p0), buf: new Float64Array(p0.length) };
  grads.forEach((g, k) => {
    s = sgdStep(s.p, g, s.buf, cfg, lr(k + 1), k + 1, gscale);
  });
  return s;
}
