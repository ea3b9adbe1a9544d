// Optimizer updates, in place on a parameter tensor and its state: Adam / AdamW and SGD with
// momentum (plain and Nesterov), PyTorch semantics (formula order cited at each entry point).
//
// Scalars come from three places, so a step can be replayed from one recorded command buffer:
//   adam / sgd (uniform)          static hyperparameters: betas, eps, weight decay, momentum …
//   scalars (storage, read)       per-step scalars the host rewrites with queue.writeBuffer before
//                                 each submit (StepScalars in src/ops/optimizer.ts):
//                                 lr, bc1 = 1 − β1^t, bc2 = 1 − β2^t, t (as f32, exact to 2^24).
//                                 The bias corrections are computed on the host in float64: in f32,
//                                 1 − 0.999^1 loses ~1e-5 relative to cancellation.
//   gscale  (storage, read, [1])  gradient multiplier (the global-norm clip factor, written by
//                                 another kernel: no CPU readback). Always bound; the host binds a
//                                 per-context tensor holding 1.0 when no clipping is asked for.
//
// Bindings (f32, n elements unless said): param: read_write, grad: read, m / v / buf: read_write,
// scalars: read (struct of 4 f32), gscale: read (1 f32), adam / sgd: uniform (one per entry).
// Dispatch: flat grid of ceil(n / (WG * PER)) workgroups (split over x and y by the recorder).
// Workgroup w owns elements [w·WG·PER, (w+1)·WG·PER); invocation l updates l, l + WG, … within
// it (coalesced). Elements are independent: no workgroup memory, no barriers.
// NaN or Inf in a gradient propagates to that element's state and parameter only.

override WG: u32 = 64;
override PER: u32 = 4;
// Adam: true = AdamW (p ← p − lr·wd·p), false = Adam with L2 (g ← g + wd·p).
override DECOUPLED: bool = true;
// SGD with momentum: Nesterov look-ahead (g + μ·buf) instead of buf.
override NESTEROV: bool = false;

struct StepScalars {
  lr: f32,
  bc1: f32,
  bc2: f32,
  t: f32,
};

// 1 − β and 1 − dampening come from the host in float64: in f32, 1 − 0.999 is off by 1.3e-5.
struct AdamParams {
  n: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  wd: f32,
};

struct SgdParams {
  n: u32,
  momentum: f32,
  one_minus_dampening: f32,
  wd: f32,
};

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> buf: array<f32>;
@group(0) @binding(5) var<storage, read> scalars: StepScalars;
@group(0) @binding(6) var<storage, read> gscale: array<f32>;
@group(0) @binding(7) var<uniform> adam: AdamParams;
@group(0) @binding(8) var<uniform> sgd: SgdParams;

fn block_start(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG * PER;
}

// Source: PyTorch torch.optim.Adam / AdamW, `_single_tensor_adam` in torch/optim/adam.py
// (v2.x) and the algorithm box of the torch.optim.AdamW docs; decoupled decay from Loshchilov &
// Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), Algorithm 2, with PyTorch's
// schedule multiplier η_t·λ = lr·wd. Order per element:
//   g ← gscale·g;  AdamW: p ← p·(1 − lr·wd)   |  Adam (L2): g ← g + wd·p
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1^t);  v̂ = v / (1 − β2^t);  p ← p − lr·m̂ / (√v̂ + eps)
@compute @workgroup_size(WG, 1, 1)
fn adam_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let first = block_start(wid, nwg) + lid;
  let lr = scalars.lr;
  let scale = gscale[0];
  for (var k = 0u; k < PER; k++) {
    let i = first + k * WG;
    if (i >= adam.n) { return; }
    var p = param[i];
    var g = grad[i] * scale;
    if (DECOUPLED) {
      p = p * (1.0 - lr * adam.wd);
    } else {
      g = g + adam.wd * p;
    }
    let mi = adam.beta1 * m[i] + adam.one_minus_beta1 * g;
    let vi = adam.beta2 * v[i] + adam.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    let m_hat = mi / scalars.bc1;
    let v_hat = vi / scalars.bc2;
    param[i] = p - lr * m_hat / (sqrt(v_hat) + adam.eps);
  }
}

// Source: PyTorch torch.optim.SGD, `_single_tensor_sgd` in torch/optim/sgd.py (v2.x). Per element:
//   g ← gscale·g + wd·p
//   buf ← g on the first step (t ≤ 1), else buf ← μ·buf + (1 − dampening)·g
//   d ← g + μ·buf (Nesterov) or d ← buf;   p ← p − lr·d
@compute @workgroup_size(WG, 1, 1)
fn sgd_momentum_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
  let first = block_start(wid, nwg) + lid;
  let lr = scalars.lr;
  let scale = gscale[0];
  let first_step = scalars.t <= 1.0;
  for (var k = 0u; k < PER; k++) {
    let i = first + k * WG;
    if (i >= sgd.n) { return; }
    let p = param[i];
    let g = grad[i] * scale + sgd.wd * p;
    var b = g;
    if (!first_step) {
      b = sgd.momentum * buf[i] + sgd.one_minus_dampening * g;
    }
    buf[i] = b;
    var d = b;
    if (NESTEROV) {
      d = g + sgd.momentum * b;
    }
    param[i] = p - lr * d;
  }
}

// Plain SGD (momentum 0, no state): g ← gscale·g + wd·p;  p ← p − lr·g.
@compute @workgroup_size(WG, 1, 1)
fn sgd_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let first = block_start(wid, nwg) + lid;
  let lr = scalars.lr;
  let scale = gscale[0];
  for (var k = 0u; k < PER; k++) {
    let i = first + k * WG;
    if (i >= sgd.n) { return; }
    let p = param[i];
    param[i] = p - lr * (grad[i] * scale + sgd.wd * p);
  }
}
