//!include lib/float.wgsl
// Reductions, deterministic and atomic-free: a thread adds at most `items` elements in order, a
// workgroup combines its threads in a fixed tree, pieces of long rows go to a further pass; so the
// same input and shape give bit-identical output on a given device.
//
// sum_last      x (rows, cols) → out[out_offset + (rows, chunks)]: each row is cut into `chunks`
//               pieces of tpr·items elements; tpr threads sum one piece (thread t takes elements
//               t, t + tpr, …, `items` of them), then a tree of fan-in FANIN over the tpr
//               threads. The host repeats the pass on the (rows, chunks) partials until
//               chunks = 1. SQUARE squares elements as they are read (first pass of a norm), SQRT
//               takes the root of the final sum, `scale` multiplies it (1/cols for a mean).
//               out_offset lets the norm passes of many tensors write their partials into one
//               buffer.
// max_last      x (rows, cols) → values, indices (rows, chunks) with the same piece layout;
// max_last_merge  the later passes over (value, index) partials. Largest value wins; NaN beats
//               every number (first NaN wins among NaNs); ties go to the smaller index.
// max_last_bwd  dx (rows, cols): dy[r] at column indices[r], else 0.
// sum_mid       x (outer, len, inner) → out (outer, chunks, inner): one invocation per output
//               column sums `rows_per` consecutive rows of its piece in order; the host repeats
//               until chunks = 1. Used for sums over rows (bias gradients) and over broadcast
//               axes. No workgroup memory.
// sum_mid_bwd   dx (outer, len, inner) = scale · dy (outer, inner) broadcast over len: the
//               backward of sum_mid / sum_last / mean.
// clip_scale    g (n) ← g · min(1, max_norm / (norm[0] + eps)), norm read on the GPU.
//
// Dispatch: flat grids (wid.x + wid.y · nwg.x), tail guarded. sum_last / max_last*: WG / tpr
// pieces per workgroup; tpr is a power of two ≤ WG (WG a power of two); every invocation reaches
// every barrier (no early return before them; the loop bound tpr is uniform). sum_mid: a
// workgroup is WG columns of one (outer, piece). Elementwise entries: one element per invocation.

override WG: u32 = 256u;
override SQUARE: bool = false;
override SQRT: bool = false;
// Fan-in of the workgroup tree: each level, one lane in FANIN adds the next FANIN − 1 partials in
// order. 2 is the classic binary tree; larger needs fewer barriers (log_FANIN(tpr) levels), which
// matters where barriers are slow (SwiftShader).
override FANIN: u32 = 16u;

struct LastParams {
  rows: u32,
  cols: u32,
  chunks: u32,
  tpr: u32,
  items: u32,
  out_offset: u32,
  scale: f32,
  _pad: u32,
};

struct MidParams {
  outer: u32,
  len: u32,
  inner: u32,
  chunks: u32,
  rows_per: u32,
  col_groups: u32,
  scale: f32,
  _pad: u32,
};

struct ExpandParams {
  n: u32,
  len: u32,
  inner: u32,
  scale: f32,
};

struct ClipParams {
  n: u32,
  max_norm: f32,
  eps: f32,
  _pad: u32,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> lp: LastParams;
@group(0) @binding(3) var<storage, read> x_idx: array<i32>;
@group(0) @binding(4) var<storage, read_write> out_idx: array<i32>;
@group(0) @binding(5) var<uniform> mp: MidParams;
@group(0) @binding(6) var<storage, read> dy: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<uniform> ep: ExpandParams;
@group(0) @binding(9) var<storage, read> indices: array<i32>;
@group(0) @binding(10) var<storage, read> norm: array<f32>;
@group(0) @binding(11) var<storage, read_write> g: array<f32>;
@group(0) @binding(12) var<uniform> cp: ClipParams;

var<workgroup> part: array<f32, WG>;
var<workgroup> part_idx: array<i32, WG>;

fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// ---- sum over the last axis ------------------------------------------------------------------

// out[out_offset + item] = scale · Σ piece (item = row · chunks + piece)
@compute @workgroup_size(WG, 1, 1)
fn sum_last(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let item = group_index(wid, nwg) * (WG / lp.tpr) + lid / lp.tpr;
  let lane = lid % lp.tpr;
  let live = item < lp.rows * lp.chunks;
  var acc = 0.0;
  if (live) {
    let row = item / lp.chunks;
    let start = row * lp.cols + (item % lp.chunks) * lp.tpr * lp.items;
    let end = (row + 1u) * lp.cols;
    for (var k = 0u; k < lp.items; k++) {
      let at = start + lane + k * lp.tpr;
      if (at < end) {
        var v = x[at];
        if (SQUARE) { v = v * v; }
        acc += v;
      }
    }
  }
  if (lp.tpr > 1u) {
    part[lid] = acc;
    for (var span = 1u; span < lp.tpr; span = span * FANIN) {
      workgroupBarrier();
      if (lane % (span * FANIN) == 0u) {
        for (var j = 1u; j < FANIN && lane + j * span < lp.tpr; j++) {
          acc += part[lid + j * span];
        }
        part[lid] = acc;
      }
    }
  }
  if (live && lane == 0u) {
    var r = acc;
    if (SQRT) { r = sqrt(r); }
    out[lp.out_offset + item] = r * lp.scale;
  }
}

// ---- max over the last axis ------------------------------------------------------------------

// Whether (v2, i2) beats (v1, i1): NaN first, then larger, then the smaller index.
fn beats(v1: f32, i1: i32, v2: f32, i2: i32) -> bool {
  let n1 = is_nan(v1);
  let n2 = is_nan(v2);
  if (n1 != n2) { return n2; }
  if (!n1 && v2 != v1) { return v2 > v1; }
  return i2 < i1;
}

// Tree of (value, index) over the tpr lanes of each piece; lane 0 writes the result.
fn max_tree(lid: u32, lane: u32, live: bool, item: u32, v0: f32, i0: i32) {
  var best = v0;
  var bi = i0;
  if (lp.tpr > 1u) {
    part[lid] = best;
    part_idx[lid] = bi;
    for (var span = 1u; span < lp.tpr; span = span * FANIN) {
      workgroupBarrier();
      if (lane % (span * FANIN) == 0u) {
        for (var j = 1u; j < FANIN && lane + j * span < lp.tpr; j++) {
          let v = part[lid + j * span];
          let k = part_idx[lid + j * span];
          if (beats(best, bi, v, k)) {
            best = v;
            bi = k;
          }
        }
        part[lid] = best;
        part_idx[lid] = bi;
      }
    }
  }
  if (live && lane == 0u) {
    out[item] = best;
    out_idx[item] = bi;
  }
}

// out, out_idx[item] = max and argmax of the piece (column indices within the row)
@compute @workgroup_size(WG, 1, 1)
fn max_last(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let item = group_index(wid, nwg) * (WG / lp.tpr) + lid / lp.tpr;
  let lane = lid % lp.tpr;
  let live = item < lp.rows * lp.chunks;
  var best = neg_inf();
  var bi = 0x7fffffff;
  if (live) {
    let row = item / lp.chunks;
    let c0 = (item % lp.chunks) * lp.tpr * lp.items + lane;
    for (var k = 0u; k < lp.items; k++) {
      let col = c0 + k * lp.tpr;
      if (col < lp.cols) {
        let v = x[row * lp.cols + col];
        if (beats(best, bi, v, i32(col))) {
          best = v;
          bi = i32(col);
        }
      }
    }
  }
  max_tree(lid, lane, live, item, best, bi);
}

// The same over (value, index) partials: x, x_idx are (rows, cols) from the previous pass.
@compute @workgroup_size(WG, 1, 1)
fn max_last_merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let item = group_index(wid, nwg) * (WG / lp.tpr) + lid / lp.tpr;
  let lane = lid % lp.tpr;
  let live = item < lp.rows * lp.chunks;
  var best = neg_inf();
  var bi = 0x7fffffff;
  if (live) {
    let row = item / lp.chunks;
    let c0 = (item % lp.chunks) * lp.tpr * lp.items + lane;
    for (var k = 0u; k < lp.items; k++) {
      let col = c0 + k * lp.tpr;
      if (col < lp.cols) {
        let v = x[row * lp.cols + col];
        let j = x_idx[row * lp.cols + col];
        if (beats(best, bi, v, j)) {
          best = v;
          bi = j;
        }
      }
    }
  }
  max_tree(lid, lane, live, item, best, bi);
}

// dx[r, c] = dy[r] if c = indices[r] else 0
@compute @workgroup_size(WG, 1, 1)
fn max_last_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= ep.n) { return; }
  let r = i / ep.inner;
  dx[i] = select(0.0, dy[r], i32(i % ep.inner) == indices[r]);
}

// ---- sum over a middle axis (rows, broadcast axes) --------------------------------------------

// out[o, piece, c] = scale · Σ_{l in piece} x[o, l, c]
@compute @workgroup_size(WG, 1, 1)
fn sum_mid(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let gi = group_index(wid, nwg);
  let col = (gi % mp.col_groups) * WG + lid;
  let rest = gi / mp.col_groups;
  let piece = rest % mp.chunks;
  let o = rest / mp.chunks;
  if (o >= mp.outer || col >= mp.inner) { return; }
  let l0 = piece * mp.rows_per;
  let l1 = min(mp.len, l0 + mp.rows_per);
  var acc = 0.0;
  for (var l = l0; l < l1; l++) {
    acc += x[(o * mp.len + l) * mp.inner + col];
  }
  out[(o * mp.chunks + piece) * mp.inner + col] = acc * mp.scale;
}

// dx[o, l, c] = scale · dy[o, c]
@compute @workgroup_size(WG, 1, 1)
fn sum_mid_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= ep.n) { return; }
  let c = i % ep.inner;
  let o = i / (ep.len * ep.inner);
  dx[i] = dy[o * ep.inner + c] * ep.scale;
}

// ---- gradient clipping -----------------------------------------------------------------------

// g ← g · min(1, max_norm / (norm + eps)); a NaN norm makes g NaN, an infinite one makes it 0
@compute @workgroup_size(WG, 1, 1)
fn clip_scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= cp.n) { return; }
  let nrm = norm[0];
  let d = nrm + cp.eps;
  var f = select(1.0, cp.max_norm / d, d > cp.max_norm);
  if (is_nan(nrm)) { f = nrm; }
  g[i] = g[i] * f;
}
