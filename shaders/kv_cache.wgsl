// KV cache for incremental decoding. The cache holds one layer's keys (or values) for every
// position, (R, T, d) with R = B·H rows; a decoding step adds one new row per (b, h) at position
// p, where p is read from a GPU buffer (the host writes it each step, so the captured step never
// changes).
//
//   kv_cache_fwd:   out = cache with position p replaced by new_row   (what attention reads)
//   kv_cache_store: cache[:, p, :] = new_row                          (in place, end of the step)
//
// Bindings: cache (R·T·d) f32 : read (fwd);  dst (R·T·d) f32 : read_write (store; the same
// tensor as cache);  new_row (R·d) f32 : read;  pos [1] i32 : read (clamped to [0, T));
// out (R·T·d) f32 : read_write;  params : uniform {rows = R, t = T, d, n}.
// Dispatch: flat grids, one invocation per element: fwd over n = R·T·d, store over R·d
// (workgroups may be split over x and y; the tail is guarded). No workgroup memory, no barriers.

override WG: u32 = 64;

struct Params {
  rows: u32,
  t: u32,
  d: u32,
  n: u32,
};

@group(0) @binding(0) var<storage, read> cache: array<f32>;
@group(0) @binding(1) var<storage, read> new_row: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;

fn position() -> u32 {
  return u32(clamp(pos[0], 0, i32(params.t) - 1));
}

// out[r, s, j] = (s == p) ? new_row[r, j] : cache[r, s, j]
@compute @workgroup_size(WG, 1, 1)
fn kv_cache_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  let j = i % params.d;
  let s = (i / params.d) % params.t;
  let r = i / (params.d * params.t);
  out[i] = select(cache[i], new_row[r * params.d + j], s == position());
}

// cache[r, p, j] = new_row[r, j]
@compute @workgroup_size(WG, 1, 1)
fn kv_cache_store(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.rows * params.d) { return; }
  let j = i % params.d;
  let r = i / params.d;
  dst[(r * params.t + position()) * params.d + j] = new_row[i];
}
