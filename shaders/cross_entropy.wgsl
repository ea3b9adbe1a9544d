//!include lib/float.wgsl
// Fused softmax + cross-entropy over integer targets. Per row r with target t:
//   loss[r]      = logsumexp(logits[r]) − logits[r, t]          (max-subtracted, online)
//   dlogits[r,j] = (softmax(logits[r])_j − [j = t]) · grad_scale,  grad_scale = dloss / max(count, 1)
//   loss         = Σ_r loss[r] / max(count, 1)                     (mean over counted rows)
// Rows whose target equals ignore_index get loss 0 and dlogits 0 and are not counted; with no
// counted row the mean is 0 (not NaN). A counted target outside [0, V) is never used as an index:
// its row gets a NaN loss and NaN dlogits, so the mean turns NaN and the bad batch is visible.
// A NaN logit in a counted row does the same. NaN is detected on the bits, not left to
// propagate through exp/max/+ (WGSL lets implementations assume no NaN; SwiftShader's exp drops it).
//
// Passes, in one command buffer (the host never reads targets):
//   ce_count / ce_count_dloss  one workgroup: count = #rows with target ≠ ignore_index; writes
//                              stats = [count, grad_scale] (grad_scale uses dloss[0] if given)
//   ce_fwd | ce_fwd_bwd | ce_bwd   per-row pass: losses and/or dlogits (reads stats[1])
//   ce_mean                    one workgroup: loss = Σ losses / max(stats[0], 1)
// So the 1/count scale reaches dlogits through `stats` on the GPU: the count pass runs before
// the fused pass, not a rescaling pass after it (which would re-read and re-write R·V floats).
//
// Bindings: logits (R, V) f32 read; targets (R) i32 read; stats (2) f32; dloss (1) f32 read;
//   losses (R) f32; dlogits (R, V) f32; loss (1) f32; params uniform.
// Dispatch: per-row entries take a flat grid of ceil(R / (WG / TPR)) workgroups; TPR
//   consecutive invocations share a row, each taking columns lane, lane + TPR, …, merged by a
//   tree of log2(TPR) barriers. TPR = 1 is barrier-free (one invocation walks a whole row: best
//   on CPU rasterizers like SwiftShader); TPR = 32…256 coalesces loads on real GPUs.
//   ce_count* and ce_mean take exactly 1 workgroup: invocation i sums rows i, i + WG, … in
//   order, then a fixed tree of log2(WG) barriers: deterministic, no atomics.
// Barrier assumptions: WG and TPR are powers of two, TPR ≤ WG; every invocation reaches every
//   barrier (rows past R take part with empty work).

override WG: u32 = 64;
override TPR: u32 = 1;

struct Params {
  rows: u32,
  classes: u32,
  ignore_index: i32,
  _pad: u32,
};

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read> dloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> losses: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_s: array<f32, WG>;
var<workgroup> red_nan: array<u32, WG>;

// ---- single-workgroup passes --------------------------------------------------------------

// Sum of (a, b) over the workgroup in a fixed tree order; every invocation must call it once.
fn workgroup_sum(lid: u32, a: f32, b: f32) -> vec2<f32> {
  red_s[lid] = a;
  red_m[lid] = b;
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    workgroupBarrier();
    if (lid < stride) {
      red_s[lid] = red_s[lid] + red_s[lid + stride];
      red_m[lid] = red_m[lid] + red_m[lid + stride];
    }
  }
  workgroupBarrier();
  return vec2<f32>(red_s[0], red_m[0]);
}

// Rows counted by this invocation (exact: the host keeps R < 2^24).
fn counted_rows(lid: u32) -> f32 {
  var c = 0u;
  for (var r = lid; r < params.rows; r += WG) {
    if (targets[r] != params.ignore_index) { c += 1u; }
  }
  return f32(c);
}

@compute @workgroup_size(WG, 1, 1)
fn ce_count(@builtin(local_invocation_index) lid: u32) {
  let n = workgroup_sum(lid, counted_rows(lid), 0.0).x;
  if (lid == 0u) {
    stats[0] = n;
    stats[1] = 1.0 / max(n, 1.0);
  }
}

@compute @workgroup_size(WG, 1, 1)
fn ce_count_dloss(@builtin(local_invocation_index) lid: u32) {
  let n = workgroup_sum(lid, counted_rows(lid), 0.0).x;
  if (lid == 0u) {
    stats[0] = n;
    stats[1] = dloss[0] / max(n, 1.0);
  }
}

@compute @workgroup_size(WG, 1, 1)
fn ce_mean(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  var nan = 0u;
  for (var r = lid; r < params.rows; r += WG) {
    acc += losses[r];
    nan |= is_nan_bits(losses[r]);
  }
  let total = workgroup_sum(lid, acc, f32(nan));
  if (lid == 0u) { loss[0] = select(total.x / max(stats[0], 1.0), quiet_nan(), total.y > 0.0); }
}

// ---- per-row passes -----------------------------------------------------------------------

struct RowState {
  row: u32,
  lane: u32,
  tgt: i32,
  live: bool,     // row < R
  counted: bool,  // live and target ≠ ignore_index
  bad: bool,      // counted and target outside [0, V)
  nan: bool,      // the row holds a NaN logit
  m: f32,         // row max
  s: f32,         // Σ exp(x − m)
};

struct Partial {
  m: f32,    // max
  s: f32,    // Σ exp(x − m)
  nan: u32,  // 1 if a NaN was seen (tested on the bits: exp/max may drop NaN, e.g. on SwiftShader)
};

fn is_nan_bits(x: f32) -> u32 {
  return select(0u, 1u, is_nan(x));
}

// Online (max, Σ exp(x − max)) over this lane's columns. One exp per element: the rescale
// branch runs only when a new maximum appears (about ln V times per row on random data).
fn lane_stats(base: u32, lane: u32) -> Partial {
  var m = F32_LOWEST;
  var s = 0.0;
  var nan = 0u;
  for (var j = lane; j < params.classes; j += TPR) {
    let x = logits[base + j];
    nan |= is_nan_bits(x);
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  return Partial(m, s, nan);
}

fn merge(a: Partial, b: Partial) -> Partial {
  let m = max(a.m, b.m);
  return Partial(m, a.s * exp(a.m - m) + b.s * exp(b.m - m), a.nan | b.nan);
}

// Combine the TPR lanes of each row (tree over workgroup memory); every invocation calls it.
fn row_reduce(lid: u32, lane: u32, v: Partial) -> Partial {
  if (TPR == 1u) { return v; }
  red_m[lid] = v.m;
  red_s[lid] = v.s;
  red_nan[lid] = v.nan;
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    workgroupBarrier();
    if (lane < stride) {
      let o = merge(Partial(red_m[lid], red_s[lid], red_nan[lid]),
                    Partial(red_m[lid + stride], red_s[lid + stride], red_nan[lid + stride]));
      red_m[lid] = o.m;
      red_s[lid] = o.s;
      red_nan[lid] = o.nan;
    }
  }
  workgroupBarrier();
  let h = lid - lane;
  return Partial(red_m[h], red_s[h], red_nan[h]);
}

fn row_state(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> RowState {
  let row = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  let lane = lid % TPR;
  let live = row < params.rows;
  var t = params.ignore_index;
  if (live) { t = targets[row]; }
  let counted = live && t != params.ignore_index;
  let bad = counted && (t < 0 || u32(t) >= params.classes);
  var st = Partial(F32_LOWEST, 0.0, 0u);
  if (counted && !bad) { st = lane_stats(row * params.classes, lane); }
  st = row_reduce(lid, lane, st);
  return RowState(row, lane, t, live, counted, bad, st.nan != 0u, st.m, st.s);
}

fn row_loss(c: RowState) -> f32 {
  if (!c.counted) { return 0.0; }
  if (c.bad || c.nan) { return quiet_nan(); }
  return (c.m + log(c.s)) - logits[c.row * params.classes + u32(c.tgt)];
}

fn write_grad(c: RowState) {
  if (!c.live) { return; }
  let base = c.row * params.classes;
  let V = params.classes;
  if (!c.counted || c.bad || c.nan) {
    let fill = select(0.0, quiet_nan(), c.counted);
    for (var j = c.lane; j < V; j += TPR) { dlogits[base + j] = fill; }
    return;
  }
  let scale = stats[1];
  let inv = 1.0 / c.s;
  for (var j = c.lane; j < V; j += TPR) {
    let p = exp(logits[base + j] - c.m) * inv;
    dlogits[base + j] = (p - select(0.0, 1.0, i32(j) == c.tgt)) * scale;
  }
}

// losses only (no gradient): evaluation
@compute @workgroup_size(WG, 1, 1)
fn ce_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let c = row_state(wid, nwg, lid);
  if (c.live && c.lane == 0u) { losses[c.row] = row_loss(c); }
}

// losses and dlogits in one pass over the logits (training)
@compute @workgroup_size(WG, 1, 1)
fn ce_fwd_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let c = row_state(wid, nwg, lid);
  if (c.live && c.lane == 0u) { losses[c.row] = row_loss(c); }
  write_grad(c);
}

// d loss / d logits = (softmax − onehot) · dloss / count  (dlogits only, softmax recomputed)
@compute @workgroup_size(WG, 1, 1)
fn ce_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  write_grad(row_state(wid, nwg, lid));
}
