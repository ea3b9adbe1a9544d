//!include lib/float.wgsl
//!include lib/row_reduce.wgsl
// Layer normalisation over the last axis C of (R, C) with gamma and beta (C):
//   y = (x − mean)·rstd·gamma + beta,   mean = Σx / C,   rstd = 1 / sqrt(Σ(x − mean)² / C + eps).
// Forward saves mean and rstd (R each): with x and gamma, all that backward needs. Statistics
// take two passes over the row (mean, then squared deviations), not E[x²] − mean².
// Backward, with xhat = (x − mean)·rstd and g = dy·gamma:
//   dx = rstd·(g − mean_C(g) − xhat·mean_C(g·xhat))      one row per TPR invocations
//   dgamma = Σ_R dy·xhat,  dbeta = Σ_R dy                 two passes, no atomics: per-block
//     partial sums over blocks of rows_per_block rows, then a fixed-order sum of the partials,
//     so results are bit-identical from run to run.
// A NaN or Inf in a row makes that row's y, mean and rstd NaN (and its dx).
//
// Bindings (f32, row-major; *4 names view the same tensors as vec4, for C % 4 == 0):
//   layernorm_fwd:   x (R,C), gamma (C), beta (C) read;  y (R,C), mean (R), rstd (R) read_write
//   layernorm_fwd4:  x4, gamma4, beta4 read;  y4, mean, rstd read_write
//   layernorm_bwd_dx:  dy (R,C), x, gamma, mean_saved (R), rstd_saved (R) read;  dx (R,C) read_write
//   layernorm_bwd_dx4: dy4, x4, gamma4, mean_saved, rstd_saved read;  dx4 read_write
//   layernorm_bwd_partials: dy, x, mean_saved, rstd_saved read;  partials (blocks,2,C) read_write
//   layernorm_bwd_partials4: dy4, x4, mean_saved, rstd_saved read;  partials4 read_write
//   layernorm_bwd_reduce:   partials (blocks,2,C);  dgamma (C), dbeta (C) read_write
//   fwd: uniform FwdParams (forward entries);  bwd: uniform BwdParams (backward entries).
//
// Row entries (fwd, bwd_dx): TPR invocations per row, WG / TPR rows per workgroup, flat grid of
// ceil(R / (WG / TPR)) workgroups. TPR = 1: one row per invocation, no barriers (CPU adapters,
// narrow rows); TPR > 1: tree reduction in workgroup memory, log2(TPR) + 2 barriers per reduction,
// reached by every invocation (rows past R compute on nothing; no early return).
// bwd_partials: grid (ceil(C / WG), blocks); invocation = one column (partials4: four) of one
// block of rows.
// bwd_reduce: flat grid of ceil(C / WG); invocation = one column, summing blocks 0, 1, … in order.

override WG: u32 = 64;
override TPR: u32 = 1;

struct FwdParams {
  R: u32,
  C: u32,
  eps: f32,
};

struct BwdParams {
  R: u32,
  C: u32,
  rows_per_block: u32,
  blocks: u32,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(6) var<uniform> fwd: FwdParams;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read> mean_saved: array<f32>;
@group(0) @binding(9) var<storage, read> rstd_saved: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> partials: array<f32>;
@group(0) @binding(12) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(13) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(14) var<uniform> bwd: BwdParams;
@group(0) @binding(15) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(16) var<storage, read> gamma4: array<vec4<f32>>;
@group(0) @binding(17) var<storage, read> beta4: array<vec4<f32>>;
@group(0) @binding(18) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(19) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(20) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(21) var<storage, read_write> partials4: array<vec4<f32>>;

struct Row {
  r: u32,
  t: u32,    // this invocation's lane within the row
  live: bool,
  n: u32,    // elements (C) or vec4 chunks (C / 4) this row has; 0 past R
};

fn row_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, R: u32, n: u32) -> Row {
  let r = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  return Row(r, lid % TPR, r < R, select(0u, n, r < R));
}

// rstd from the row's sum of squared deviations (NaN stays NaN whatever inverseSqrt does).
fn rstd_of(ss: f32) -> f32 {
  return select(inverseSqrt(ss / f32(fwd.C) + fwd.eps), ss, is_nan(ss));
}

// ---- forward ----

@compute @workgroup_size(WG, 1, 1)
fn layernorm_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid, fwd.R, fwd.C);
  let base = w.r * fwd.C;
  var s = 0.0;
  for (var j = w.t; j < w.n; j += TPR) { s += x[base + j]; }
  let mu = reduce_row(lid, w.t, vec2<f32>(s, 0.0), false).x / f32(fwd.C);
  var ss = 0.0;
  for (var j = w.t; j < w.n; j += TPR) { let d = x[base + j] - mu; ss += d * d; }
  let rs = rstd_of(reduce_row(lid, w.t, vec2<f32>(ss, 0.0), false).x);
  for (var j = w.t; j < w.n; j += TPR) { y[base + j] = (x[base + j] - mu) * rs * gamma[j] + beta[j]; }
  if (w.live && w.t == 0u) {
    mean[w.r] = mu;
    rstd[w.r] = rs;
  }
}

@compute @workgroup_size(WG, 1, 1)
fn layernorm_fwd4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid, fwd.R, fwd.C / 4u);
  let base = w.r * (fwd.C / 4u);
  var s = vec4<f32>(0.0);
  for (var k = w.t; k < w.n; k += TPR) { s += x4[base + k]; }
  let mu = reduce_row(lid, w.t, vec2<f32>(hsum(s), 0.0), false).x / f32(fwd.C);
  var ss = vec4<f32>(0.0);
  for (var k = w.t; k < w.n; k += TPR) { let d = x4[base + k] - mu; ss += d * d; }
  let rs = rstd_of(reduce_row(lid, w.t, vec2<f32>(hsum(ss), 0.0), false).x);
  for (var k = w.t; k < w.n; k += TPR) { y4[base + k] = (x4[base + k] - mu) * rs * gamma4[k] + beta4[k]; }
  if (w.live && w.t == 0u) {
    mean[w.r] = mu;
    rstd[w.r] = rs;
  }
}

// ---- backward: dx ----

// dx = rstd·(g − mean_C(g) − xhat·mean_C(g·xhat)),  g = dy·gamma, xhat = (x − mean)·rstd
@compute @workgroup_size(WG, 1, 1)
fn layernorm_bwd_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid, bwd.R, bwd.C);
  let base = w.r * bwd.C;
  let r = min(w.r, bwd.R - 1u);
  let mu = mean_saved[r];
  let rs = rstd_saved[r];
  var ab = vec2<f32>(0.0);
  for (var j = w.t; j < w.n; j += TPR) {
    let g = dy[base + j] * gamma[j];
    ab += vec2<f32>(g, g * (x[base + j] - mu) * rs);
  }
  ab = reduce_row(lid, w.t, ab, false) / f32(bwd.C);
  for (var j = w.t; j < w.n; j += TPR) {
    let xh = (x[base + j] - mu) * rs;
    dx[base + j] = rs * (dy[base + j] * gamma[j] - ab.x - xh * ab.y);
  }
}

// dx = rstd·(g − mean_C(g) − xhat·mean_C(g·xhat)),  g = dy·gamma, xhat = (x − mean)·rstd
@compute @workgroup_size(WG, 1, 1)
fn layernorm_bwd_dx4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
  let w = row_of(wid, nwg, lid, bwd.R, bwd.C / 4u);
  let base = w.r * (bwd.C / 4u);
  let r = min(w.r, bwd.R - 1u);
  let mu = mean_saved[r];
  let rs = rstd_saved[r];
  var a = vec4<f32>(0.0);
  var b = vec4<f32>(0.0);
  for (var k = w.t; k < w.n; k += TPR) {
    let g = dy4[base + k] * gamma4[k];
    a += g;
    b += g * (x4[base + k] - mu) * rs;
  }
  let ab = reduce_row(lid, w.t, vec2<f32>(hsum(a), hsum(b)), false) / f32(bwd.C);
  for (var k = w.t; k < w.n; k += TPR) {
    let xh = (x4[base + k] - mu) * rs;
    dx4[base + k] = rs * (dy4[base + k] * gamma4[k] - ab.x - xh * ab.y);
  }
}

// ---- backward: dgamma, dbeta ----

// partials[b, 0, c] = Σ_{r in block b} dy·xhat,  partials[b, 1, c] = Σ_{r in block b} dy
@compute @workgroup_size(WG, 1, 1)
fn layernorm_bwd_partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x * WG + lid;
  if (c >= bwd.C) { return; }
  let r0 = wid.y * bwd.rows_per_block;
  let r1 = min(r0 + bwd.rows_per_block, bwd.R);
  var pg = 0.0;
  var pb = 0.0;
  for (var r = r0; r < r1; r++) {
    let d = dy[r * bwd.C + c];
    pg += d * (x[r * bwd.C + c] - mean_saved[r]) * rstd_saved[r];
    pb += d;
  }
  partials[(2u * wid.y) * bwd.C + c] = pg;
  partials[(2u * wid.y + 1u) * bwd.C + c] = pb;
}

// The same over columns 4c … 4c+3 (C % 4 == 0; grid (ceil(C / 4 / WG), blocks)).
@compute @workgroup_size(WG, 1, 1)
fn layernorm_bwd_partials4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c4 = bwd.C / 4u;
  let c = wid.x * WG + lid;
  if (c >= c4) { return; }
  let r0 = wid.y * bwd.rows_per_block;
  let r1 = min(r0 + bwd.rows_per_block, bwd.R);
  var pg = vec4<f32>(0.0);
  var pb = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) {
    let d = dy4[r * c4 + c];
    pg += d * (x4[r * c4 + c] - mean_saved[r]) * rstd_saved[r];
    pb += d;
  }
  partials4[(2u * wid.y) * c4 + c] = pg;
  partials4[(2u * wid.y + 1u) * c4 + c] = pb;
}

// dgamma[c] = Σ_b partials[b, 0, c],  dbeta[c] = Σ_b partials[b, 1, c]  (b ascending)
@compute @workgroup_size(WG, 1, 1)
fn layernorm_bwd_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                        @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * WG + lid;
  if (c >= bwd.C) { return; }
  var g = 0.0;
  var b = 0.0;
  for (var k = 0u; k < bwd.blocks; k++) {
    g += partials[(2u * k) * bwd.C + c];
    b += partials[(2u * k + 1u) * bwd.C + c];
  }
  dgamma[c] = g;
  dbeta[c] = b;
}
