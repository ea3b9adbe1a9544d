// Batched matrix multiply with the transposed forms backward needs and a fused bias:
//   C[z] = op(A[z]) · op(B[z]) + bias,   op(X) = X or Xᵀ by how X is stored.
// Logical shapes: op(A) is (M, K), op(B) is (K, N), C is (M, N), all row-major f32.
//
// Entry points
//   matmul          the product, in two variants chosen by the SHARED override:
//                   SHARED = false: register tiles only, no workgroup memory, no barriers
//                   (fastest where barriers are expensive, e.g. SwiftShader; Apple GPUs);
//                   SHARED = true: workgroup-memory tiles of (BM x TK) and (TK x BN), two
//                   barriers per k-tile (NVIDIA / AMD like this one).
//                   matmul_subgroup.wgsl adds a third variant, sharing A across 4-lane
//                   subgroups, for SwiftShader (it needs `enable subgroups`, hence its own file).
//   matmul_colsum   column sums of a (R, N) matrix: the bias gradient (two passes for large R).
//
// Bindings of matmul
//   a     : read        A, stored (M, K) per batch, or (K, M) when TRANS_A
//   b     : read        B, stored (K, N) per batch, or (N, K) when TRANS_B
//   bias  : read        (N); bound but unread when HAS_BIAS is false
//   c     : read_write  C, (M, N) per batch
//   params: uniform     shapes and batch strides
// a and b are bound as vec4 arrays with a binding size rounded up to 16 bytes. Where the stored
// row length is a multiple of 4 (VEC_A / VEC_B) four consecutive elements are one aligned vec4
// load; otherwise they are four scalar loads (a[i >> 2][i & 3]).
//
// Work mapping (all variants): each invocation computes a block of 4·RM rows x 4·RN columns of
// C, as RM x RN sub-blocks of 4x4 held in mat4x4 accumulators. Sub-block r of rows starts at
// row (wid.y · WG_Y · RM + r · WG_Y + lid.y) · 4, so neighbouring invocations read neighbouring
// vec4s; columns likewise with x. Grid: (ceil(N / BN), ceil(M / BM), batch) with
// BN = 4·RN·WG_X, BM = 4·RM·WG_Y.
//
// Edges: rows and columns past M / N are clamped to the last valid one when loading (their
// results are computed and dropped at the store), and the k-loop runs over whole chunks of 4;
// a K that is not a multiple of 4 gets one masked tail chunk after the loop. No bounds test runs
// inside the k-loop. With SHARED, the tile loads zero-fill k >= K instead.
//
// Batches: grid z is the output matrix. A batch stride of 0 broadcasts that operand. With
// params.sum_batches = S > 1 (grid z = 1) one output accumulates S products (A[s], B[s]): the
// batch-summed weight gradient of a broadcast operand.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override VEC_A: bool = false;   // A's stored row length (K, or M when TRANS_A) is a multiple of 4
override VEC_B: bool = false;   // B's stored row length (N, or K when TRANS_B) is a multiple of 4
override HAS_BIAS: bool = false;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override RM: u32 = 1u;          // 4-row sub-blocks per invocation: 1 or 2
override RN: u32 = 1u;          // 4-column sub-blocks per invocation: 1 or 2
override SHARED: bool = false;  // workgroup-memory tiles instead of registers only
override TK: u32 = 16u;         // SHARED: k-depth of a tile, a multiple of 4
override K_TAIL: bool = false;  // K is not a multiple of 4: the register paths add a masked chunk
// SHARED's tiles, vec4s of 4 rows (sa) or 4 columns (sb) per k; one element when unused. (They
// are sized here, so the host must pass TK, WG_X, WG_Y, RM and RN, which the body also uses.)
override SA_LEN: u32 = select(1u, TK * WG_Y * RM, SHARED);
override SB_LEN: u32 = select(1u, TK * WG_X * RN, SHARED);

struct Params {
  M: u32,
  N: u32,
  K: u32,
  sum_batches: u32,
  a_stride: u32,
  b_stride: u32,
  c_stride: u32,
  _pad: u32,
};

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> sa: array<vec4<f32>, SA_LEN>;
var<workgroup> sb: array<vec4<f32>, SB_LEN>;

// ---- loads: element i of A or B, and four elements starting at i --------------------------

fn ld_a(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn ld_b(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

fn run_a(i: u32) -> vec4<f32> {
  if (VEC_A) { return a[i >> 2u]; }
  return vec4(ld_a(i), ld_a(i + 1u), ld_a(i + 2u), ld_a(i + 3u));
}
fn run_b(i: u32) -> vec4<f32> {
  if (VEC_B) { return b[i >> 2u]; }
  return vec4(ld_b(i), ld_b(i + 1u), ld_b(i + 2u), ld_b(i + 3u));
}
// Four elements at line + o.x … line + o.w (clamped, possibly non-consecutive positions).
fn pick_a(line: u32, o: vec4<u32>) -> vec4<f32> {
  if (VEC_A) { return a[(line + o.x) >> 2u]; }
  return vec4(ld_a(line + o.x), ld_a(line + o.y), ld_a(line + o.z), ld_a(line + o.w));
}
fn pick_b(line: u32, o: vec4<u32>) -> vec4<f32> {
  if (VEC_B) { return b[(line + o.x) >> 2u]; }
  return vec4(ld_b(line + o.x), ld_b(line + o.y), ld_b(line + o.z), ld_b(line + o.w));
}

// Per-invocation offsets of a 4-line group starting at row (or column) g of a dimension of
// length n: positions along the stored row when the group runs along it (vec4 loads need the
// group's first element; scalar loads clamp each), or line offsets (·ld) when it runs across.
fn along(g: u32, n: u32, vec: bool) -> vec4<u32> {
  if (vec) { return vec4(min(g, n - 4u)); }
  return min(vec4(g) + vec4(0u, 1u, 2u, 3u), vec4(n - 1u));
}
fn across(g: u32, n: u32, ld: u32) -> vec4<u32> {
  return min(vec4(g) + vec4(0u, 1u, 2u, 3u), vec4(n - 1u)) * ld;
}
fn a_offsets(g: u32) -> vec4<u32> {
  if (TRANS_A) { return along(g, params.M, VEC_A); }
  return across(g, params.M, params.K);
}
fn b_offsets(g: u32) -> vec4<u32> {
  if (TRANS_B) { return across(g, params.N, params.K); }
  return along(g, params.N, VEC_B);
}

// ---- 4x4 chunks -----------------------------------------------------------------------------
// A chunk: column i holds op(A)[row i of the group][k .. k+3].
fn a_chunk(base: u32, k: u32, o: vec4<u32>) -> mat4x4<f32> {
  if (TRANS_A) {
    let m = params.M;
    let l = base + k * m;
    return transpose(mat4x4(pick_a(l, o), pick_a(l + m, o), pick_a(l + 2u * m, o), pick_a(l + 3u * m, o)));
  }
  let l = base + k;
  return mat4x4(run_a(l + o.x), run_a(l + o.y), run_a(l + o.z), run_a(l + o.w));
}
// B chunk: column q holds op(B)[k + q][the group's 4 columns].
fn b_chunk(base: u32, k: u32, o: vec4<u32>) -> mat4x4<f32> {
  if (TRANS_B) {
    let l = base + k;
    return transpose(mat4x4(run_b(l + o.x), run_b(l + o.y), run_b(l + o.z), run_b(l + o.w)));
  }
  let n = params.N;
  let l = base + k * n;
  return mat4x4(pick_b(l, o), pick_b(l + n, o), pick_b(l + 2u * n, o), pick_b(l + 3u * n, o));
}
// Zero the k-positions at or past K (the tail chunk), in A's columns and B's columns.
fn mask_a(x: mat4x4<f32>, ok: vec4<bool>) -> mat4x4<f32> {
  let z = vec4(0.0);
  return mat4x4(select(z, x[0], ok), select(z, x[1], ok), select(z, x[2], ok), select(z, x[3], ok));
}
fn mask_b(x: mat4x4<f32>, ok: vec4<bool>) -> mat4x4<f32> {
  let z = vec4(0.0);
  return mat4x4(select(z, x[0], ok.x), select(z, x[1], ok.y), select(z, x[2], ok.z), select(z, x[3], ok.w));
}

// ---- store ----------------------------------------------------------------------------------

// Store one 4x4 sub-block (column i of acc = row g + i) with the bias added.
fn store_block(base: u32, g: u32, h: u32, acc: mat4x4<f32>) {
  let m = params.M;
  let n = params.N;
  var bv = vec4(0.0);
  if (HAS_BIAS) {
    let hc = min(vec4(h) + vec4(0u, 1u, 2u, 3u), vec4(n - 1u));
    bv = vec4(bias[hc.x], bias[hc.y], bias[hc.z], bias[hc.w]);
  }
  for (var i = 0u; i < 4u; i++) {
    let row = g + i;
    if (row >= m) { break; }
    let v = acc[i] + bv;
    let o = base + row * n + h;
    for (var j = 0u; j < 4u; j++) {
      if (h + j < n) { c[o + j] = v[j]; }
    }
  }
}

// ---- register-tile variant ------------------------------------------------------------------

struct Block {
  c00: mat4x4<f32>, c01: mat4x4<f32>, c10: mat4x4<f32>, c11: mat4x4<f32>,
};

fn mm_registers(z: u32, g0: u32, g1: u32, h0: u32, h1: u32) -> Block {
  let k4 = params.K & ~3u;
  let oa0 = a_offsets(g0);
  let oa1 = a_offsets(g1);
  let ob0 = b_offsets(h0);
  let ob1 = b_offsets(h1);
  var acc = Block(mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>());
  for (var s = 0u; s < params.sum_batches; s++) {
    let abase = (z + s) * params.a_stride;
    let bbase = (z + s) * params.b_stride;
    for (var k = 0u; k < k4; k += 4u) {
      let am0 = a_chunk(abase, k, oa0);
      let bm0 = b_chunk(bbase, k, ob0);
      acc.c00 += bm0 * am0;
      if (RN == 2u) {
        let bm1 = b_chunk(bbase, k, ob1);
        acc.c01 += bm1 * am0;
        if (RM == 2u) {
          let am1 = a_chunk(abase, k, oa1);
          acc.c10 += bm0 * am1;
          acc.c11 += bm1 * am1;
        }
      } else if (RM == 2u) {
        let am1 = a_chunk(abase, k, oa1);
        acc.c10 += bm0 * am1;
      }
    }
    if (K_TAIL) {  // tail chunk: positions >= K read anything in bounds and are zeroed
      let ok = vec4(k4) + vec4(0u, 1u, 2u, 3u) < vec4(params.K);
      let am0 = mask_a(a_chunk(abase, k4, oa0), ok);
      let am1 = mask_a(a_chunk(abase, k4, oa1), ok);
      let bm0 = mask_b(b_chunk(bbase, k4, ob0), ok);
      let bm1 = mask_b(b_chunk(bbase, k4, ob1), ok);
      acc.c00 += bm0 * am0;
      acc.c01 += bm1 * am0;
      acc.c10 += bm0 * am1;
      acc.c11 += bm1 * am1;
    }
  }
  return acc;
}

// ---- workgroup-memory variant ---------------------------------------------------------------
// Tile layout: sa[kk · (BM/4) + r] holds op(A)[tile rows 4r .. 4r+3][kk]; sb[kk · (BN/4) + q]
// holds op(B)[kk][tile columns 4q .. 4q+3]. Invocations write disjoint slots between the two
// barriers of a k-step and read them only after the second.

fn fill_a(z: u32, s: u32, m0: u32, k0: u32, lid: u32) {
  let M = params.M;
  let K = params.K;
  let base = (z + s) * params.a_stride;
  let bm4 = WG_Y * RM;                // vec4s per k in a tile
  for (var u = lid; u < TK * bm4; u += WG_X * WG_Y) {
    if (TRANS_A) {                    // stored (K, M): read 4 rows of one k
      let kk = u / bm4;
      let r = u % bm4;
      let k = k0 + kk;
      var v = vec4(0.0);
      if (k < K) { v = pick_a(base + k * M, along(m0 + 4u * r, M, VEC_A)); }
      sa[u] = v;
    } else {                          // stored (M, K): read 4 ks of one row, scatter them
      let kq = u % (TK / 4u);
      let row = u / (TK / 4u);
      let k = k0 + 4u * kq;
      let i = base + min(m0 + row, M - 1u) * K + k;
      var v = vec4(0.0);
      if (VEC_A) {
        if (k < K) { v = a[i >> 2u]; }
      } else {
        let ok = vec4(k) + vec4(0u, 1u, 2u, 3u) < vec4(K);
        v = select(vec4(0.0), run_a(i), ok);
      }
      for (var q = 0u; q < 4u; q++) { sa[(4u * kq + q) * bm4 + row / 4u][row % 4u] = v[q]; }
    }
  }
}

fn fill_b(z: u32, s: u32, n0: u32, k0: u32, lid: u32) {
  let N = params.N;
  let K = params.K;
  let base = (z + s) * params.b_stride;
  let bn4 = WG_X * RN;
  for (var u = lid; u < TK * bn4; u += WG_X * WG_Y) {
    if (TRANS_B) {                    // stored (N, K): read 4 ks of one column, scatter them
      let kq = u % (TK / 4u);
      let col = u / (TK / 4u);
      let k = k0 + 4u * kq;
      let i = base + min(n0 + col, N - 1u) * K + k;
      var v = vec4(0.0);
      if (VEC_B) {
        if (k < K) { v = b[i >> 2u]; }
      } else {
        let ok = vec4(k) + vec4(0u, 1u, 2u, 3u) < vec4(K);
        v = select(vec4(0.0), run_b(i), ok);
      }
      for (var q = 0u; q < 4u; q++) { sb[(4u * kq + q) * bn4 + col / 4u][col % 4u] = v[q]; }
    } else {                          // stored (K, N): read 4 columns of one k
      let kk = u / bn4;
      let r = u % bn4;
      let k = k0 + kk;
      var v = vec4(0.0);
      if (k < K) { v = pick_b(base + k * N, along(n0 + 4u * r, N, VEC_B)); }
      sb[u] = v;
    }
  }
}

fn sa_chunk(kk: u32, r: u32) -> mat4x4<f32> {
  let s = WG_Y * RM;
  let i = kk * s + r;
  return transpose(mat4x4(sa[i], sa[i + s], sa[i + 2u * s], sa[i + 3u * s]));
}
fn sb_chunk(kk: u32, q: u32) -> mat4x4<f32> {
  let s = WG_X * RN;
  let i = kk * s + q;
  return mat4x4(sb[i], sb[i + s], sb[i + 2u * s], sb[i + 3u * s]);
}

fn mm_shared(z: u32, m0: u32, n0: u32, lx: u32, ly: u32) -> Block {
  let lid = ly * WG_X + lx;
  var acc = Block(mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>());
  for (var s = 0u; s < params.sum_batches; s++) {
    for (var k0 = 0u; k0 < params.K; k0 += TK) {
      workgroupBarrier();
      fill_a(z, s, m0, k0, lid);
      fill_b(z, s, n0, k0, lid);
      workgroupBarrier();
      for (var kk = 0u; kk < TK; kk += 4u) {
        let am0 = sa_chunk(kk, ly);
        let bm0 = sb_chunk(kk, lx);
        acc.c00 += bm0 * am0;
        if (RN == 2u) {
          let bm1 = sb_chunk(kk, lx + WG_X);
          acc.c01 += bm1 * am0;
          if (RM == 2u) {
            let am1 = sa_chunk(kk, ly + WG_Y);
            acc.c10 += bm0 * am1;
            acc.c11 += bm1 * am1;
          }
        } else if (RM == 2u) {
          let am1 = sa_chunk(kk, ly + WG_Y);
          acc.c10 += bm0 * am1;
        }
      }
    }
  }
  return acc;
}

// op(A)·op(B) for the invocation's 4·RM x 4·RN block, then the bias.
@compute @workgroup_size(WG_X, WG_Y, 1)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let z = wid.z;
  let m0 = wid.y * WG_Y * RM * 4u;    // first row of the workgroup tile
  let n0 = wid.x * WG_X * RN * 4u;
  let g0 = m0 + lid.y * 4u;           // first row of each row sub-block
  let g1 = g0 + WG_Y * 4u;
  let h0 = n0 + lid.x * 4u;           // first column of each column sub-block
  let h1 = h0 + WG_X * 4u;
  var acc: Block;
  if (SHARED) {
    acc = mm_shared(z, m0, n0, lid.x, lid.y);
  } else {
    acc = mm_registers(z, g0, g1, h0, h1);
  }
  let cbase = z * params.c_stride;
  store_block(cbase, g0, h0, acc.c00);
  if (RN == 2u) { store_block(cbase, g0, h1, acc.c01); }
  if (RM == 2u) {
    store_block(cbase, g1, h0, acc.c10);
    if (RN == 2u) { store_block(cbase, g1, h1, acc.c11); }
  }
}

// ---- bias gradient: column sums -------------------------------------------------------------
// cs_out[p · cols + n] = Σ cs_in[r · cols + n] over rows r of chunk p (CS_ROWS rows per chunk).
// Grid: (ceil(cols / CS_WG), ceil(rows / CS_ROWS)); one column of one chunk per invocation,
// neighbouring invocations read neighbouring columns. The host repeats the pass over the chunk
// sums until one row is left, so the order of additions is fixed (deterministic, no atomics).

override CS_WG: u32 = 64u;
override CS_ROWS: u32 = 256u;

struct ColsumParams {
  rows: u32,
  cols: u32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<storage, read> cs_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> cs_out: array<f32>;
@group(0) @binding(2) var<uniform> cs: ColsumParams;

@compute @workgroup_size(CS_WG, 1, 1)
fn matmul_colsum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let col = wid.x * CS_WG + lid;
  if (col >= cs.cols) { return; }
  let r0 = wid.y * CS_ROWS;
  let r1 = min(r0 + CS_ROWS, cs.rows);
  var sum = 0.0;
  for (var r = r0; r < r1; r++) { sum += cs_in[r * cs.cols + col]; }
  cs_out[wid.y * cs.cols + col] = sum;
}
