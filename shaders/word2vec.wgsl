// word2vec with negative sampling: per-example gradients of one minibatch (skip-gram or CBOW).
// Every example reads the parameters as they were before the batch; the host then adds the
// rows with the deterministic scatter-add of shaders/embedding.wgsl (src/ops/embedding.ts), so
// colliding updates are summed in a fixed order (see src/reference/word2vec.ts for the math):
//   h     = mean of syn0[in_ids[e, s]] over valid s        (skip-gram: S = 1)
//   f_j   = h · syn1[out_ids[e, j]]; g_j = (label_j − σ(f_j)) · lr[e], label_0 = 1, else 0
//   d_out[e, j, :] = g_j · h                               (→ syn1 rows out_ids[e, j])
//   d_in[e, s, :]  = Σ_j g_j · syn1[out_ids[e, j]]         (→ syn0 rows in_ids[e, s], each valid s)
//   loss[e] = −log σ(f_0) − Σ_{j>0} log σ(−f_j)
// Ids −1 (or ≥ vocab) are skipped: their d rows are zero and the scatter ignores them.
//
// Bindings: syn0, syn1 (V, D) f32 read; in_ids (E, S) i32; out_ids (E, O) i32; lr (E) f32;
//   hid (E, D) f32 scratch (h); d_in (E, S, D) f32; d_out (E, O, D) f32; loss (E) f32.
// Dispatch: flat grid, one invocation per example (E ≥ thousands fills a GPU; each does
//   (S + 3·O)·D multiply-adds, in fixed order, so results are bit-reproducible).
//   d_in[e, 0, :] accumulates Σ_j g_j·syn1 before being copied to the other slots.
//   No workgroup memory, no barriers.

override WG: u32 = 64;

struct Params {
  examples: u32,  // E
  slots: u32,     // S
  outs: u32,      // O = 1 + negatives
  dim: u32,       // D
  vocab: u32,     // V
};

@group(0) @binding(0) var<storage, read> syn0: array<f32>;
@group(0) @binding(1) var<storage, read> syn1: array<f32>;
@group(0) @binding(2) var<storage, read> in_ids: array<i32>;
@group(0) @binding(3) var<storage, read> out_ids: array<i32>;
@group(0) @binding(4) var<storage, read> lr: array<f32>;
@group(0) @binding(5) var<storage, read_write> hid: array<f32>;
@group(0) @binding(6) var<storage, read_write> d_in: array<f32>;
@group(0) @binding(7) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;
@group(0) @binding(9) var<uniform> params: Params;

fn valid(id: i32) -> bool {
  return id >= 0 && u32(id) < params.vocab;
}

// log(1 + e^x) without overflow
fn softplus(x: f32) -> f32 {
  return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}

@compute @workgroup_size(WG, 1, 1)
fn w2v_grads(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= params.examples) { return; }
  let D = params.dim;
  let S = params.slots;
  let O = params.outs;
  let hb = e * D;
  let ib = e * S * D;
  // h = mean of the valid input rows
  var cnt = 0u;
  for (var d = 0u; d < D; d++) { hid[hb + d] = 0.0; d_in[ib + d] = 0.0; }
  for (var s = 0u; s < S; s++) {
    let id = in_ids[e * S + s];
    if (!valid(id)) { continue; }
    cnt++;
    let r = u32(id) * D;
    for (var d = 0u; d < D; d++) { hid[hb + d] += syn0[r + d]; }
  }
  var l = 0.0;
  if (cnt > 0u) {
    let inv = 1.0 / f32(cnt);
    for (var d = 0u; d < D; d++) { hid[hb + d] *= inv; }
  }
  let rate = lr[e];
  for (var j = 0u; j < O; j++) {
    let ob = (e * O + j) * D;
    let o = out_ids[e * O + j];
    if (cnt == 0u || !valid(o)) {
      for (var d = 0u; d < D; d++) { d_out[ob + d] = 0.0; }
      continue;
    }
    let r = u32(o) * D;
    var f = 0.0;
    for (var d = 0u; d < D; d++) { f += hid[hb + d] * syn1[r + d]; }
    let label = select(0.0, 1.0, j == 0u);
    let g = (label - 1.0 / (1.0 + exp(-f))) * rate;
    l += softplus(select(f, -f, j == 0u));
    for (var d = 0u; d < D; d++) {
      d_out[ob + d] = g * hid[hb + d];
      d_in[ib + d] += g * syn1[r + d];
    }
  }
  loss[e] = l;
  // the other input slots get the same row (or zero when empty); slot 0 is zeroed when empty
  for (var s = 1u; s < S; s++) {
    let on = valid(in_ids[e * S + s]);
    for (var d = 0u; d < D; d++) { d_in[ib + s * D + d] = select(0.0, d_in[ib + d], on); }
  }
  if (!valid(in_ids[e * S])) {
    for (var d = 0u; d < D; d++) { d_in[ib + d] = 0.0; }
  }
}
