//!include lib/float.wgsl
//!include lib/row_reduce.wgsl
// Softmax over the last axis of (R, C), row by row and max-subtracted: y = softmax(scale·x), and
// its backward from the saved y: dx = scale · y ⊙ (dy − Σ_j dy_j·y_j).
// With params.causal = 1 rows are viewed as (…, T, T), T = C: element j of row r is masked when
// j > r mod T. Masked elements do not affect the result (a NaN there is ignored) and are written
// as 0 in y and in dx. Element 0 of a row is never masked, so no row is fully masked. A NaN or +Inf
// among a row's unmasked scaled inputs makes the whole row NaN; it is detected through a plain sum
// of the shifted inputs, because exp need not propagate NaN (SwiftShader's does not).
//
// Bindings (f32, row-major; the *4 names view the same tensors as vec4, for C % 4 == 0):
//   softmax_fwd:  x (R,C) read,             y (R,C) read_write
//   softmax_fwd4: x4 (R,C/4) read,          y4 (R,C/4) read_write
//   softmax_bwd:  y_saved, dy (R,C) read,   dx (R,C) read_write
//   softmax_bwd4: y_saved4, dy4 (R,C/4) read, dx4 (R,C/4) read_write
//   params: uniform Params (all entries).
//
// Mapping: TPR invocations per row (TPR a power of two dividing WG), WG / TPR rows per workgroup,
// flat grid of ceil(R / (WG / TPR)) workgroups (split over x and y). Invocation t of a row visits
// elements (or vec4 chunks) t, t + TPR, …; forward makes three passes (max; exp, written to y,
// and sum; scale by 1/sum), backward two (Σ dy⊙y; dx).
//   TPR = 1: one row per invocation; no workgroup memory traffic and no barriers. Best on CPU
//            adapters (SwiftShader, where barriers are slow) and for narrow rows.
//   TPR > 1: partial results meet in a tree reduction in workgroup memory (log2(TPR) + 2
//            barriers per reduction, fixed order, so results are deterministic). Every invocation
//            reaches every barrier: rows past R compute on nothing, never return early.

override WG: u32 = 64;
override TPR: u32 = 1;

struct Params {
  R: u32,
  C: u32,
  causal: u32,
  scale: f32,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> y_saved4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> dx4: array<vec4<f32>>;

struct Row {
  r: u32,
  t: u32,    // this invocation's lane within the row
  live: bool,
  n: u32,    // unmasked leading elements (0 for rows past R)
};

fn row_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> Row {
  let r = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  let live = r < params.R;
  var n = select(0u, params.C, live);
  if (params.causal != 0u) { n = min(n, r % params.C + 1u); }
  return Row(r, lid % TPR, live, n);
}

// 1 / Σ exp, or NaN when the row held a NaN or +Inf (then s.y, Σ (scale·x − max), is NaN).
fn inv_sum(s: vec2<f32>) -> f32 {
  return select(1.0 / s.x, s.y, is_nan(s.y));
}

// ---- scalar passes over elements t, t + TPR, … of a row ----

fn fwd_max(base: u32, n: u32, t: u32) -> f32 {
  var m = F32_LOWEST;
  for (var j = t; j < n; j += TPR) { m = max(m, params.scale * x[base + j]); }
  return m;
}

// Writes exp(scale·x − m) to y; returns (Σ exp, Σ (scale·x − m)).
fn fwd_exp(base: u32, n: u32, m: f32, t: u32) -> vec2<f32> {
  var s = vec2<f32>(0.0, 0.0);
  for (var j = t; j < n; j += TPR) {
    let z = params.scale * x[base + j] - m;
    let e = exp(z);
    y[base + j] = e;
    s += vec2<f32>(e, z);
  }
  return s;
}

fn fwd_normalize(base: u32, n: u32, inv: f32, t: u32) {
  for (var j = t; j < n; j += TPR) { y[base + j] *= inv; }
  for (var j = n + t; j < params.C; j += TPR) { y[base + j] = 0.0; }
}

fn bwd_dot(base: u32, n: u32, t: u32) -> f32 {
  var s = 0.0;
  for (var j = t; j < n; j += TPR) { s += dy[base + j] * y_saved[base + j]; }
  return s;
}

fn bwd_write(base: u32, n: u32, s: f32, t: u32) {
  for (var j = t; j < n; j += TPR) { dx[base + j] = params.scale * y_saved[base + j] * (dy[base + j] - s); }
  for (var j = n + t; j < params.C; j += TPR) { dx[base + j] = 0.0; }
}

// ---- vec4 passes over chunks t, t + TPR, … (chunk k holds elements 4k … 4k+3); the chunk that
// straddles the causal boundary masks its components with `keep` ----

fn keep4(k: u32, n: u32) -> vec4<bool> {
  return vec4<u32>(4u * k) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(n);
}

fn fwd_max4(base: u32, n: u32, t: u32) -> f32 {
  var m = vec4<f32>(F32_LOWEST);
  for (var k = t; 4u * k < n; k += TPR) { m = select(m, max(m, params.scale * x4[base + k]), keep4(k, n)); }
  return max(max(m.x, m.y), max(m.z, m.w));
}

fn fwd_exp4(base: u32, n: u32, m: f32, t: u32) -> vec2<f32> {
  var s = vec4<f32>(0.0);
  var zs = vec4<f32>(0.0);
  for (var k = t; 4u * k < n; k += TPR) {
    let keep = keep4(k, n);
    let z = params.scale * x4[base + k] - m;
    let e = select(vec4<f32>(0.0), exp(z), keep);
    y4[base + k] = e;
    s += e;
    zs += select(vec4<f32>(0.0), z, keep);
  }
  return vec2<f32>(hsum(s), hsum(zs));
}

fn fwd_normalize4(base: u32, n: u32, inv: f32, t: u32) {
  for (var k = t; 4u * k < n; k += TPR) { y4[base + k] = select(vec4<f32>(0.0), y4[base + k] * inv, keep4(k, n)); }
  for (var k = (n + 3u) / 4u + t; k < params.C / 4u; k += TPR) { y4[base + k] = vec4<f32>(0.0); }
}

fn bwd_dot4(base: u32, n: u32, t: u32) -> f32 {
  var s = vec4<f32>(0.0);
  for (var k = t; 4u * k < n; k += TPR) { s += select(vec4<f32>(0.0), dy4[base + k] * y_saved4[base + k], keep4(k, n)); }
  return hsum(s);
}

fn bwd_write4(base: u32, n: u32, s: f32, t: u32) {
  for (var k = t; 4u * k < n; k += TPR) {
    let g = params.scale * y_saved4[base + k] * (dy4[base + k] - s);
    dx4[base + k] = select(vec4<f32>(0.0), g, keep4(k, n));
  }
  for (var k = (n + 3u) / 4u + t; k < params.C / 4u; k += TPR) { dx4[base + k] = vec4<f32>(0.0); }
}

// ---- entry points ----

@compute @workgroup_size(WG, 1, 1)
fn softmax_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid);
  let base = w.r * params.C;
  let m = reduce_row(lid, w.t, vec2<f32>(fwd_max(base, w.n, w.t), 0.0), true).x;
  let s = reduce_row(lid, w.t, fwd_exp(base, w.n, m, w.t), false);
  if (w.live) { fwd_normalize(base, w.n, inv_sum(s), w.t); }
}

@compute @workgroup_size(WG, 1, 1)
fn softmax_fwd4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid);
  let base = w.r * (params.C / 4u);
  let m = reduce_row(lid, w.t, vec2<f32>(fwd_max4(base, w.n, w.t), 0.0), true).x;
  let s = reduce_row(lid, w.t, fwd_exp4(base, w.n, m, w.t), false);
  if (w.live) { fwd_normalize4(base, w.n, inv_sum(s), w.t); }
}

// dx = scale · y ⊙ (dy − Σ dy⊙y)
@compute @workgroup_size(WG, 1, 1)
fn softmax_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid);
  let base = w.r * params.C;
  let s = reduce_row(lid, w.t, vec2<f32>(bwd_dot(base, w.n, w.t), 0.0), false).x;
  if (w.live) { bwd_write(base, w.n, s, w.t); }
}

// dx = scale · y ⊙ (dy − Σ dy⊙y)
@compute @workgroup_size(WG, 1, 1)
fn softmax_bwd4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid);
  let base = w.r * (params.C / 4u);
  let s = reduce_row(lid, w.t, vec2<f32>(bwd_dot4(base, w.n, w.t), 0.0), false).x;
  if (w.live) { bwd_write4(base, w.n, s, w.t); }
}
