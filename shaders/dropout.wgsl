//!include random.wgsl
// Dropout with a counter-based mask: elements 2c and 2c+1 share the 32-bit word
// h = hash_key(key, c), key = streamKey(seed, step) from the host; element i is kept when its
// 16-bit half (low half for even i, high half for odd i) / 65536 >= p, then scaled by 1/(1-p).
// The mask depends only on (seed, step, i), not on the kernel's layout. Backward regenerates the
// same mask, so nothing is stored between the passes and a resumed run draws the same masks.
//
// Bindings (all f32, n elements):  x / dy : read,  y / dx : read_write,  params : uniform.
// Dispatch: flat grid of ceil(n / (WG * 2 * PAIRS)) workgroups (may be split over x and y); each
// invocation handles PAIRS element pairs WG pairs apart, one hash per pair, so neighbouring
// invocations touch neighbouring addresses; no workgroup memory, no barriers.

override WG: u32 = 64;
const PAIRS: u32 = 2u;

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
  let first = group * WG * PAIRS + lid;
  for (var j = 0u; j < PAIRS; j++) {
    let c = first + j * WG;
    let i = 2u * c;
    if (i >= params.n) { return; }
    let h = hash_key(params.key, c);
    let u0 = f32(h & 0xffffu) / 65536.0;
    let u1 = f32(h >> 16u) / 65536.0;
    y[i] = select(0.0, x[i] * params.scale, u0 >= params.p);
    if (i + 1u < params.n) {
      y[i + 1u] = select(0.0, x[i + 1u] * params.scale, u1 >= params.p);
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
