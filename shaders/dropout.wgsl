//!include random.wgsl
// Dropout with a counter-based mask: element i is kept when uniform01(seed, step, i) >= p and
// then scaled by 1/(1-p). Backward regenerates the same mask from (seed, step, i), so nothing is
// stored between the passes and a resumed run draws the same masks.
//
// Bindings (all f32, n elements):  x / dy : read,  y / dx : read_write,  params : uniform.
// Dispatch: flat grid of ceil(n / WG) workgroups (may be split over x and y); one element per
// invocation; no workgroup memory, no barriers.

override WG: u32 = 256;

struct Params {
  n: u32,
  seed: u32,
  step: u32,
  p: f32,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn keep_scale(i: u32) -> f32 {
  if (uniform01(params.seed, params.step, i) < params.p) { return 0.0; }
  return 1.0 / (1.0 - params.p);
}

// y = x * mask / (1 - p)
@compute @workgroup_size(WG, 1, 1)
fn dropout_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.n) { return; }
  y[i] = x[i] * keep_scale(i);
}

// dx = dy * mask / (1 - p)   (x binds dy, y binds dx)
@compute @workgroup_size(WG, 1, 1)
fn dropout_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.n) { return; }
  y[i] = x[i] * keep_scale(i);
}
