//!include random.wgsl
// Dropout with a counter-based mask: element i is kept when uniform01(seed, step, i) >= p and
// then scaled by 1/(1-p). Backward regenerates the same mask from (seed, step, i), so nothing is
// stored between the passes and a resumed run draws the same masks. The host passes
// key = streamKey(seed, step), so each element costs one hash round.
//
// Bindings (all f32, n elements):  x / dy : read,  y / dx : read_write,  params : uniform.
// Dispatch: flat grid of ceil(n / (WG * PER)) workgroups (may be split over x and y); each
// invocation handles PER elements WG apart, so neighbouring invocations touch neighbouring
// addresses on every iteration (coalesced on GPUs, vector loads on SwiftShader's SIMD lanes);
// no workgroup memory, no barriers.

override WG: u32 = 64;
const PER: u32 = 4u;

struct Params {
  n: u32,
  key: u32,
  p: f32,
  scale: f32,   // 1 / (1 - p)
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn apply_mask(group: u32, lid: u32) {
  let first = group * WG * PER + lid;
  for (var j = 0u; j < PER; j++) {
    let i = first + j * WG;
    if (i < params.n) {
      let keep = uniform01_key(params.key, i) >= params.p;
      y[i] = select(0.0, x[i] * params.scale, keep);
    }
  }
}

// y = x * mask / (1 - p)
@compute @workgroup_size(WG, 1, 1)
fn dropout_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  apply_mask(wid.x + wid.y * nwg.x, lid);
}

// d(x * m)/dx = m:  dx = dy * mask / (1 - p)   (x binds dy, y binds dx)
@compute @workgroup_size(WG, 1, 1)
fn dropout_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  apply_mask(wid.x + wid.y * nwg.x, lid);
}
