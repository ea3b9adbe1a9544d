//!include matmul.wgsl
// matmul with register tiles whose A chunks are shared across a 4-lane subgroup. Compiled with
// the prelude `enable subgroups;`, for adapters whose subgroups are exactly 4 invocations of
// consecutive local index: SwiftShader, where every storage load is a per-lane gather costing
// far more than the arithmetic it feeds, so the kernel is bound by the number of loads.
//
// Same bindings, uniforms, overrides, grid and results as `matmul` in matmul.wgsl (SHARED is
// ignored), except the block per invocation: RM in {1, 2, 4, 8} row sub-blocks x RN in {1, 2}
// column sub-blocks of 4x4. The four lanes of a subgroup have the same lid.y (WG_X is a multiple
// of 4), hence the same rows, and different columns. Per 4-k chunk, lane l loads one vec4 of each
// row sub-block: row l of it (stored (M, K)) or k + l of it (stored (K, M)), and subgroupBroadcast
// hands the four vec4s to every lane; B stays per lane. A subgroup thus loads 4·RM + 16·RN
// components per chunk for 64·RM·RN multiply-adds per lane, against 16·(RM + RN) without sharing.
// The 8x2 block (32 x 8 per lane, 32 x 32 per subgroup) is the SwiftShader default.
//
// The k-loop has no bounds tests; with K_TAIL (K not a multiple of 4) one masked chunk follows.
// No workgroup memory, no barriers; subgroup operations run in uniform control flow (every
// invocation runs the whole loop: out-of-range rows and columns are clamped, never skipped).

struct Acc {
  c00: mat4x4<f32>, c01: mat4x4<f32>, c10: mat4x4<f32>, c11: mat4x4<f32>,
  c20: mat4x4<f32>, c21: mat4x4<f32>, c30: mat4x4<f32>, c31: mat4x4<f32>,
  c40: mat4x4<f32>, c41: mat4x4<f32>, c50: mat4x4<f32>, c51: mat4x4<f32>,
  c60: mat4x4<f32>, c61: mat4x4<f32>, c70: mat4x4<f32>, c71: mat4x4<f32>,
};

// Column l of the result is lane l's v.
fn share4(v: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}

// The A chunk (as a_chunk in matmul.wgsl) of the row sub-block starting at row g, one vec4 per
// lane; positions k >= K are zeroed when `ok` says so.
fn a_shared(base: u32, k: u32, g: u32, lane: u32, ok: vec4<bool>) -> mat4x4<f32> {
  let M = params.M;
  if (TRANS_A) {  // lane's vec4: rows g .. g+3 at k + lane
    var v = pick_a(base + (k + lane) * M, along(g, M, VEC_A));
    if (K_TAIL) { v = select(vec4(0.0), v, ok[lane]); }
    return transpose(share4(v));
  }
  // lane's vec4: row g + lane at k .. k+3
  var v = run_a(base + min(g + lane, M - 1u) * params.K + k);
  if (K_TAIL) { v = select(vec4(0.0), v, ok); }
  return share4(v);
}

// acc[r][q] += B chunk q x A chunk r for the sub-blocks RM x RN of one 4-k chunk.
fn subgroup_chunk(acc: ptr<function, Acc>, abase: u32, bbase: u32, k: u32, g0: u32, ob0: vec4<u32>, ob1: vec4<u32>,
                  lane: u32, ok: vec4<bool>) {
  let st = WG_Y * 4u;  // rows between row sub-blocks
  var bm0 = b_chunk(bbase, k, ob0);
  var bm1 = mat4x4<f32>();
  if (RN == 2u) { bm1 = b_chunk(bbase, k, ob1); }
  if (K_TAIL) {
    bm0 = mask_b(bm0, ok);
    bm1 = mask_b(bm1, ok);
  }
  var am = a_shared(abase, k, g0, lane, ok);
  (*acc).c00 += bm0 * am;
  if (RN == 2u) { (*acc).c01 += bm1 * am; }
  if (RM >= 2u) {
    am = a_shared(abase, k, g0 + st, lane, ok);
    (*acc).c10 += bm0 * am;
    if (RN == 2u) { (*acc).c11 += bm1 * am; }
  }
  if (RM >= 4u) {
    am = a_shared(abase, k, g0 + 2u * st, lane, ok);
    (*acc).c20 += bm0 * am;
    if (RN == 2u) { (*acc).c21 += bm1 * am; }
    am = a_shared(abase, k, g0 + 3u * st, lane, ok);
    (*acc).c30 += bm0 * am;
    if (RN == 2u) { (*acc).c31 += bm1 * am; }
  }
  if (RM == 8u) {
    am = a_shared(abase, k, g0 + 4u * st, lane, ok);
    (*acc).c40 += bm0 * am;
    if (RN == 2u) { (*acc).c41 += bm1 * am; }
    am = a_shared(abase, k, g0 + 5u * st, lane, ok);
    (*acc).c50 += bm0 * am;
    if (RN == 2u) { (*acc).c51 += bm1 * am; }
    am = a_shared(abase, k, g0 + 6u * st, lane, ok);
    (*acc).c60 += bm0 * am;
    if (RN == 2u) { (*acc).c61 += bm1 * am; }
    am = a_shared(abase, k, g0 + 7u * st, lane, ok);
    (*acc).c70 += bm0 * am;
    if (RN == 2u) { (*acc).c71 += bm1 * am; }
  }
}

// Store the RN column sub-blocks of row sub-block r.
fn store_row(cbase: u32, g: u32, h0: u32, h1: u32, c0: mat4x4<f32>, c1: mat4x4<f32>) {
  store_block(cbase, g, h0, c0);
  if (RN == 2u) { store_block(cbase, g, h1, c1); }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn matmul_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                   @builtin(subgroup_invocation_id) lane: u32) {
  let z = wid.z;
  let st = WG_Y * 4u;
  let g0 = wid.y * WG_Y * RM * 4u + lid.y * 4u;  // first row of row sub-block 0; sub-block r adds r·st
  let h0 = wid.x * WG_X * RN * 4u + lid.x * 4u;
  let h1 = h0 + WG_X * 4u;
  let ob0 = b_offsets(h0);
  let ob1 = b_offsets(h1);
  let k4 = params.K & ~3u;
  let all = vec4(true);
  var acc: Acc;
  for (var s = 0u; s < params.sum_batches; s++) {
    let abase = (z + s) * params.a_stride;
    let bbase = (z + s) * params.b_stride;
    for (var k = 0u; k < k4; k += 4u) {
      subgroup_chunk(&acc, abase, bbase, k, g0, ob0, ob1, lane, all);
    }
    if (K_TAIL) {
      subgroup_chunk(&acc, abase, bbase, k4, g0, ob0, ob1, lane, vec4(k4) + vec4(0u, 1u, 2u, 3u) < vec4(params.K));
    }
  }
  let cbase = z * params.c_stride;
  store_row(cbase, g0, h0, h1, acc.c00, acc.c01);
  if (RM >= 2u) { store_row(cbase, g0 + st, h0, h1, acc.c10, acc.c11); }
  if (RM >= 4u) {
    store_row(cbase, g0 + 2u * st, h0, h1, acc.c20, acc.c21);
    store_row(cbase, g0 + 3u * st, h0, h1, acc.c30, acc.c31);
  }
  if (RM == 8u) {
    store_row(cbase, g0 + 4u * st, h0, h1, acc.c40, acc.c41);
    store_row(cbase, g0 + 5u * st, h0, h1, acc.c50, acc.c51);
    store_row(cbase, g0 + 6u * st, h0, h1, acc.c60, acc.c61);
    store_row(cbase, g0 + 7u * st, h0, h1, acc.c70, acc.c71);
  }
}
