//!include lib/float.wgsl
// Flash-style multi-head attention, O = softmax(scale·Q·Kᵀ + mask)·V, forward and backward.
// The Tq×Tk score matrix never reaches global memory: forward runs an online softmax over the
// keys, 4 at a time (running max m and sum l in registers; when a group of keys raises the max,
// the accumulator and l are rescaled by exp(m_old − m_new)), and saves only O and the
// logsumexp L = m + log l per query row for backward. Backward follows FlashAttention-2 (Tri
// Dao, "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning",
// 2023, Algorithm 2) but without atomics: a preprocessing pass computes D_i = rowsum(dO_i ⊙ O_i),
// one pass over query rows computes dQ (looping over keys, recomputing P_ij = exp(s_ij − L_i)
// from L), and a separate pass over key rows computes dK and dV (looping over queries). Each
// output row is owned by exactly one invocation, so results are deterministic. The price is
// computing the scores and dO·Vᵀ twice in backward (once per pass).
//
// Scores use base 2: q (or k) is pre-multiplied by scale·log2(e), so p = exp2(s − m); L is
// stored in natural-log units in `lse` and in base-2 units in `stats`.
//
// Masking (overrides): key j is visible to query i when KEY_PAD is off or j < kv_len[b]
// (per-batch key length: BERT-style right padding; values are clamped to [0, Tk]), and CAUSAL is
// off or j ≤ i + (Tk − Tq) (bottom-right aligned; Tq = Tk gives j ≤ i). Each invocation loops
// over exactly the rows its mask shows; a group of 4 running past them reads the last visible
// row again and zeroes its weight with select (never a multiply), so masked pairs cannot bring
// NaN in. A query row that sees no key gets O = 0, L = −∞ and zero dQ; keys no query sees get
// dK = dV = 0. NaN in the inputs propagates (made explicit where WGSL's exp2/log2 may drop it).
//
// Bindings (row-major, one row = HD4 vec4 = d floats):
//   q (B,H,Tq,d), k / v (B,H,Tk,d): read. kv_len (B) i32: read (bound to k when KEY_PAD is off).
//   attention_fwd:      out (B,H,Tq,d), lse (B,H,Tq): read_write.
//   attention_bwd_prep: dout, saved_out (B,H,Tq,d), saved_lse (B,H,Tq): read;
//                       stats (B,H,Tq) vec2 = (L·log2 e, D): read_write.
//   attention_bwd_dq:   dout, saved_stats: read; dq (B,H,Tq,d): read_write.
//   attention_bwd_dkv:  dout, saved_stats: read; dk, dv (B,H,Tk,d): read_write.
//   params: uniform Params.
//
// Dispatch: flat grid (may be split over x and y). attention_fwd and attention_bwd_dq: B·H·nblk
// workgroups, nblk = ceil(Tq / WG), invocation lid of block r owns query row r·WG + lid of one
// (b, h). attention_bwd_dkv: the same over key rows, nblk = ceil(Tk / WG). attention_bwd_prep:
// ceil(B·H·Tq / WG) workgroups, one row per invocation. Rows past the end idle but stay for
// the barriers.
//
// The head dim is the override HD4 = d/4, so the loops over it have constant trip counts and
// GPU compilers unroll them and keep the row vectors (q, accumulators) in registers.
//
// Variants: with TILE off (default) every invocation streams the other operand's rows straight
// from global memory into its accumulators: no workgroup memory and no barriers, which suits
// SwiftShader (barriers are very slow there) and register-rich GPUs (Apple); the invocations of
// a workgroup read the same row at the same time, so those loads are broadcasts served by cache.
// With TILE on, each block of BK rows is first staged cooperatively in workgroup memory (two
// barriers per block), the usual shared-memory tiling for NVIDIA-style GPUs. Loop bounds over
// blocks are workgroup-uniform in both variants (barriers need uniform control flow); each
// invocation skips the part of a block its mask hides.

const MAX_HD4: u32 = 32u; // head dim d = 4·HD4 ≤ 128 (register arrays are sized for it)
const LOG2E: f32 = 1.4426950408889634;
const LN2: f32 = 0.6931471805599453;
const NEG_BIG: f32 = -3.0e38; // start of the running max: below any finite score that matters

override WG: u32 = 64;
override HD4: u32 = 8;
override BK: u32 = 16; // rows per block (src/ops/attention.ts passes 64 when TILE is off)
override CAUSAL: bool = false;
override KEY_PAD: bool = false;
override TILE: bool = false;
override TILE_VEC4: u32 = select(1u, max(1u, BK * HD4), TILE);
override TILE_ROWS: u32 = select(1u, BK, TILE);

struct Params {
  bh: u32,    // B·H
  heads: u32, // H
  tq: u32,
  tk: u32,
  nblk: u32,  // row blocks of WG per (b, h)
  scale: f32,
};

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> kv_len: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
@group(0) @binding(7) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> saved_out: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> saved_lse: array<f32>;
@group(0) @binding(10) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(11) var<storage, read> saved_stats: array<vec2<f32>>;
@group(0) @binding(12) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(14) var<storage, read_write> dv: array<vec4<f32>>;

// TILE only: the staged block (rows of k and v, or of q and dout, plus their stats).
var<workgroup> tile_a: array<vec4<f32>, TILE_VEC4>;
var<workgroup> tile_b: array<vec4<f32>, TILE_VEC4>;
var<workgroup> tile_s: array<vec2<f32>, TILE_ROWS>;

// NaN tested on the bits (is_nan, lib/float.wgsl): WGSL lets `x != x` and exp2(NaN) be anything
// (SwiftShader gives false and +inf), so NaN propagation is made explicit where it would be lost.
fn exp2_nan(x: vec4<f32>) -> vec4<f32> {
  return select(exp2(x), x, is_nan4(x));
}

// How many keys (a prefix 0..n) query row i of batch b sees.
fn visible_keys(b: u32, i: u32) -> u32 {
  var n = i32(params.tk);
  if (KEY_PAD) { n = min(n, kv_len[b]); }
  if (CAUSAL) { n = min(n, i32(i) + 1 + i32(params.tk) - i32(params.tq)); }
  return u32(max(n, 0));
}

// The first query row that sees key j of batch b (every later row sees it too); Tq if none.
fn first_query(b: u32, j: u32) -> u32 {
  if (KEY_PAD && i32(j) >= kv_len[b]) { return params.tq; }
  if (CAUSAL) { return u32(clamp(i32(j) + i32(params.tq) - i32(params.tk), 0, i32(params.tq))); }
  return 0u;
}

// Stage n rows starting at vec4 offset `base` of two operands into tile_a / tile_b.
// Must be called in workgroup-uniform control flow.
fn stage_kv(base: u32, n: u32, lid: u32) {
  workgroupBarrier(); // everyone is done with the previous block
  for (var e = lid; e < n * HD4; e += WG) {
    tile_a[e] = k[base + e];
    tile_b[e] = v[base + e];
  }
  workgroupBarrier();
}

fn stage_qdo(base: u32, row: u32, n: u32, lid: u32) {
  workgroupBarrier();
  for (var e = lid; e < n * HD4; e += WG) {
    tile_a[e] = q[base + e];
    tile_b[e] = dout[base + e];
  }
  for (var r = lid; r < n; r += WG) { tile_s[r] = saved_stats[row + r]; }
  workgroupBarrier();
}

// Element t = jj·HD4 + c of the current block, whose first vec4 is at `base` in global memory.
fn key4(base: u32, t: u32) -> vec4<f32> {
  if (TILE) { return tile_a[t]; }
  return k[base + t];
}
fn val4(base: u32, t: u32) -> vec4<f32> {
  if (TILE) { return tile_b[t]; }
  return v[base + t];
}
fn q4(base: u32, t: u32) -> vec4<f32> {
  if (TILE) { return tile_a[t]; }
  return q[base + t];
}
fn dout4(base: u32, t: u32) -> vec4<f32> {
  if (TILE) { return tile_b[t]; }
  return dout[base + t];
}
fn stat(row: u32, ii: u32) -> vec2<f32> {
  if (TILE) { return tile_s[ii]; }
  return saved_stats[row + ii];
}

// A group of 4 consecutive rows (first, …, first+3) of the current block, of which the n − first
// below n are real: their vec4 offsets in the block, clamped to the last real row so no load
// leaves the block (a clamped row is a real one, so its values are finite or already in play).
struct Rows4 {
  r: vec4<u32>, // rows in the block
  t: vec4<u32>, // their first vec4, r·HD4
  real: vec4<bool>,
};

fn rows4(first: u32, n: u32) -> Rows4 {
  let r = vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u);
  let rc = min(r, vec4<u32>(n - 1u));
  return Rows4(rc, rc * HD4, r < vec4<u32>(n));
}

// The largest of m and the real entries of s; NaN never becomes the max (it reaches the sums
// through exp2_nan instead).
fn max4(m: f32, s: vec4<f32>, real: vec4<bool>) -> f32 {
  var r = m;
  r = select(r, s.x, real.x && s.x > r);
  r = select(r, s.y, real.y && s.y > r);
  r = select(r, s.z, real.z && s.z > r);
  r = select(r, s.w, real.w && s.w > r);
  return r;
}

struct RowBlock {
  bh: u32,   // which (b, h)
  b: u32,
  row0: u32, // first row of the workgroup's block
  valid: bool,
};

fn row_block(wid: vec3<u32>, nwg: vec3<u32>) -> RowBlock {
  let g = wid.x + wid.y * nwg.x;
  let bh = g / params.nblk;
  return RowBlock(bh, bh / params.heads, (g % params.nblk) * WG, bh < params.bh);
}

// out_i = Σ_j softmax_j(s_ij)·v_j and lse_i = log Σ_j exp(s_ij), s_ij = scale·q_i·k_j over visible j.
// Keys go 4 at a time: 4 scores in a vec4, one rescale check, one read-modify-write of acc.
@compute @workgroup_size(WG, 1, 1)
fn attention_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let rb = row_block(wid, nwg);
  if (!rb.valid) { return; }
  let i = rb.row0 + lid;
  let live = i < params.tq;
  let row = rb.bh * params.tq + min(i, params.tq - 1u);
  let kend = select(0u, visible_keys(rb.b, i), live);
  let kend_wg = visible_keys(rb.b, min(rb.row0 + WG - 1u, params.tq - 1u)); // the block's last row sees most
  let key0 = rb.bh * params.tk;
  let qs = params.scale * LOG2E;
  var qr: array<vec4<f32>, MAX_HD4>;
  var acc: array<vec4<f32>, MAX_HD4>;
  for (var c = 0u; c < HD4; c++) {
    qr[c] = q[row * HD4 + c] * qs;
    acc[c] = vec4<f32>(0.0);
  }
  var m = NEG_BIG;
  var l = 0.0;
  for (var j0 = 0u; j0 < kend_wg; j0 += BK) {
    let base = (key0 + j0) * HD4;
    if (TILE) { stage_kv(base, min(BK, params.tk - j0), lid); }
    let n = min(BK, max(kend, j0) - j0); // keys of this block the row sees
    for (var jj = 0u; jj < n; jj += 4u) {
      let g = rows4(jj, n);
      var s = vec4<f32>(0.0);
      for (var c = 0u; c < HD4; c++) {
        let qc = qr[c];
        s += vec4<f32>(dot(qc, key4(base, g.t.x + c)), dot(qc, key4(base, g.t.y + c)),
                       dot(qc, key4(base, g.t.z + c)), dot(qc, key4(base, g.t.w + c)));
      }
      let mb = max4(m, s, g.real);
      if (mb > m) { // the group raised the max: rescale what was accumulated so far
        let alpha = exp2(m - mb);
        l *= alpha;
        for (var c = 0u; c < HD4; c++) { acc[c] *= alpha; }
        m = mb;
      }
      let p = select(vec4<f32>(0.0), exp2_nan(s - m), g.real);
      l += p.x + p.y + p.z + p.w;
      for (var c = 0u; c < HD4; c++) {
        acc[c] += p.x * val4(base, g.t.x + c) + p.y * val4(base, g.t.y + c)
                + p.z * val4(base, g.t.z + c) + p.w * val4(base, g.t.w + c);
      }
    }
  }
  if (!live) { return; }
  let inv = select(0.0, 1.0 / l, kend > 0u);
  for (var c = 0u; c < HD4; c++) { out[row * HD4 + c] = acc[c] * inv; }
  let lse_row = select((m + log2(l)) * LN2, l, is_nan(l)); // log2(NaN) is not reliably NaN
  lse[row] = select(neg_inf(), lse_row, kend > 0u);
}

// D_i = Σ_c dO_ic·O_ic (= Σ_j P_ij·dP_ij), stored beside L·log2(e) for the two gradient passes.
@compute @workgroup_size(WG, 1, 1)
fn attention_bwd_prep(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * WG + lid;
  if (row >= params.bh * params.tq) { return; }
  var dsum = 0.0;
  for (var c = 0u; c < HD4; c++) { dsum += dot(dout[row * HD4 + c], saved_out[row * HD4 + c]); }
  stats[row] = vec2<f32>(saved_lse[row] * LOG2E, dsum);
}

// dQ_i = scale·Σ_j dS_ij·k_j, dS_ij = P_ij·(dO_i·v_j − D_i), P_ij = exp(s_ij − L_i).
@compute @workgroup_size(WG, 1, 1)
fn attention_bwd_dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let rb = row_block(wid, nwg);
  if (!rb.valid) { return; }
  let i = rb.row0 + lid;
  let live = i < params.tq;
  let row = rb.bh * params.tq + min(i, params.tq - 1u);
  let kend = select(0u, visible_keys(rb.b, i), live);
  let kend_wg = visible_keys(rb.b, min(rb.row0 + WG - 1u, params.tq - 1u));
  let key0 = rb.bh * params.tk;
  let qs = params.scale * LOG2E;
  var qr: array<vec4<f32>, MAX_HD4>;
  var dor: array<vec4<f32>, MAX_HD4>;
  var acc: array<vec4<f32>, MAX_HD4>;
  for (var c = 0u; c < HD4; c++) {
    qr[c] = q[row * HD4 + c] * qs;
    dor[c] = dout[row * HD4 + c];
    acc[c] = vec4<f32>(0.0);
  }
  let st = saved_stats[row];
  for (var j0 = 0u; j0 < kend_wg; j0 += BK) {
    let base = (key0 + j0) * HD4;
    if (TILE) { stage_kv(base, min(BK, params.tk - j0), lid); }
    let n = min(BK, max(kend, j0) - j0);
    for (var jj = 0u; jj < n; jj += 4u) {
      let g = rows4(jj, n);
      var s = vec4<f32>(0.0);
      var dp = vec4<f32>(0.0);
      for (var c = 0u; c < HD4; c++) {
        let qc = qr[c];
        let dc = dor[c];
        s += vec4<f32>(dot(qc, key4(base, g.t.x + c)), dot(qc, key4(base, g.t.y + c)),
                       dot(qc, key4(base, g.t.z + c)), dot(qc, key4(base, g.t.w + c)));
        dp += vec4<f32>(dot(dc, val4(base, g.t.x + c)), dot(dc, val4(base, g.t.y + c)),
                        dot(dc, val4(base, g.t.z + c)), dot(dc, val4(base, g.t.w + c)));
      }
      let ds = select(vec4<f32>(0.0), exp2_nan(s - st.x) * (dp - st.y), g.real);
      for (var c = 0u; c < HD4; c++) {
        acc[c] += ds.x * key4(base, g.t.x + c) + ds.y * key4(base, g.t.y + c)
                + ds.z * key4(base, g.t.z + c) + ds.w * key4(base, g.t.w + c);
      }
    }
  }
  if (!live) { return; }
  for (var c = 0u; c < HD4; c++) { dq[row * HD4 + c] = acc[c] * params.scale; }
}

// dV_j = Σ_i P_ij·dO_i and dK_j = scale·Σ_i dS_ij·q_i over the queries i that see key j.
@compute @workgroup_size(WG, 1, 1)
fn attention_bwd_dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
  let rb = row_block(wid, nwg);
  if (!rb.valid) { return; }
  let j = rb.row0 + lid;
  let live = j < params.tk;
  let krow = rb.bh * params.tk + min(j, params.tk - 1u);
  let istart = select(params.tq, first_query(rb.b, j), live);
  let istart_wg = first_query(rb.b, rb.row0); // the block's first key is seen earliest
  let q0 = rb.bh * params.tq;
  let qs = params.scale * LOG2E;
  var kr: array<vec4<f32>, MAX_HD4>;
  var vr: array<vec4<f32>, MAX_HD4>;
  var dka: array<vec4<f32>, MAX_HD4>;
  var dva: array<vec4<f32>, MAX_HD4>;
  for (var c = 0u; c < HD4; c++) {
    kr[c] = k[krow * HD4 + c] * qs;
    vr[c] = v[krow * HD4 + c];
    dka[c] = vec4<f32>(0.0);
    dva[c] = vec4<f32>(0.0);
  }
  for (var i0 = istart_wg; i0 < params.tq; i0 += BK) {
    let base = (q0 + i0) * HD4;
    let n = min(BK, params.tq - i0);
    if (TILE) { stage_qdo(base, q0 + i0, n, lid); }
    // queries [lo, n) of this block see the key; go 4 at a time from lo
    for (var ii = max(istart, i0) - i0; ii < n; ii += 4u) {
      let g = rows4(ii, n);
      let st = array<vec2<f32>, 4>(stat(q0 + i0, g.r.x), stat(q0 + i0, g.r.y), stat(q0 + i0, g.r.z), stat(q0 + i0, g.r.w));
      var s = vec4<f32>(0.0);
      var dp = vec4<f32>(0.0);
      for (var c = 0u; c < HD4; c++) {
        let kc = kr[c];
        let vc = vr[c];
        s += vec4<f32>(dot(q4(base, g.t.x + c), kc), dot(q4(base, g.t.y + c), kc),
                       dot(q4(base, g.t.z + c), kc), dot(q4(base, g.t.w + c), kc));
        dp += vec4<f32>(dot(dout4(base, g.t.x + c), vc), dot(dout4(base, g.t.y + c), vc),
                        dot(dout4(base, g.t.z + c), vc), dot(dout4(base, g.t.w + c), vc));
      }
      let lse4 = vec4<f32>(st[0].x, st[1].x, st[2].x, st[3].x);
      let d4 = vec4<f32>(st[0].y, st[1].y, st[2].y, st[3].y);
      let p = select(vec4<f32>(0.0), exp2_nan(s - lse4), g.real);
      let ds = p * (dp - d4);
      for (var c = 0u; c < HD4; c++) {
        dva[c] += p.x * dout4(base, g.t.x + c) + p.y * dout4(base, g.t.y + c)
                + p.z * dout4(base, g.t.z + c) + p.w * dout4(base, g.t.w + c);
        dka[c] += ds.x * q4(base, g.t.x + c) + ds.y * q4(base, g.t.y + c)
                + ds.z * q4(base, g.t.z + c) + ds.w * q4(base, g.t.w + c);
      }
    }
  }
  if (!live) { return; }
  for (var c = 0u; c < HD4; c++) {
    dk[krow * HD4 + c] = dka[c] * params.scale;
    dv[krow * HD4 + c] = dva[c];
  }
}
