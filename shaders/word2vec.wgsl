// word2vec with negative sampling: per-example gradients of one minibatch (skip-gram or CBOW).
// Every example reads the parameters as they were before the batch (except along a chain, below);
// the host then adds the rows with the deterministic scatter-add of shaders/embedding.wgsl
// (src/ops/embedding.ts), so colliding updates are summed in a fixed order (see
// src/reference/word2vec.ts for the math):
//   h     = mean of syn0[in_ids[e, s]] over valid s        (skip-gram: S = 1)
//   f_j   = h · syn1[out_ids[e, j]]; g_j = (label_j − σ(f_j)) · lr[e], label_0 = 1, else 0
//   d_out[e, j, :] = g_j · h                               (→ syn1 rows out_ids[e, j])
//   d_in[e, s, :]  = Σ_j g_j · syn1[out_ids[e, j]]         (→ syn0 rows in_ids[e, s], each valid s)
//   loss[e] = −log σ(f_0) − Σ_{j>0} log σ(−f_j)
// Ids −1 (or ≥ vocab) are skipped: their d rows are zero and the scatter ignores them.
// Chains: consecutive examples with the same valid positive out_ids[e, 0] (skip-gram: the pairs of
//   one center word) run in order, each reading that row as updated by the earlier ones
//   (word2vec.c's order). The chain's whole positive update goes in d_out[first, 0, :] and the
//   later rows of column 0 are zero: the scatter adds the rows of one id, so only the sum matters.
//
// Bindings: syn0, syn1 (V, D) f32 read; in_ids (E, S) i32; out_ids (E, O) i32; lr (E) f32;
//   chains (E) i32: the first example of each of the C chains, longest first (made on the host by
//   chainStarts, src/ops/word2vec.ts, so that lanes in lockstep get similar work);
//   d_in (E, S, D) f32; d_out (E, O, D) f32; loss (E) f32.
// Dispatch: flat grid, one invocation per chain (C ≤ E), which runs its examples in order, each
//   (S + 3·O)·D multiply-adds in fixed order, so results are bit-reproducible.
//   Scratch: for S > 1, h is kept in d_in[e, 1, :] while d_in[e, 0, :] accumulates Σ_j g_j·syn1,
//   then slot 1 gets its copy of slot 0 like the others (skip-gram reads h from syn0 directly).
//   No workgroup memory, no barriers.

override WG: u32 = 64;

struct Params {
  examples: u32,  // E
  chains: u32,    // C
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
@group(0) @binding(5) var<storage, read> chains: array<i32>;
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

// element d of an example's h, which starts at hb in syn0 (skip-gram) or d_in (CBOW): see example()
fn h_at(hb: u32, d: u32) -> f32 {
  if (params.slots == 1u) { return syn0[hb + d]; }
  return d_in[hb + d];
}

// h of example x: returns (valid inputs, where h starts). Skip-gram: the input's syn0 row;
// CBOW: the mean of the valid input rows, built in d_in[x, 1, :].
fn load_h(x: u32) -> vec2<u32> {
  let D = params.dim;
  let S = params.slots;
  if (S == 1u) {
    let id = in_ids[x];
    return select(vec2<u32>(0u, 0u), vec2<u32>(1u, u32(id) * D), valid(id));
  }
  let hb = (x * S + 1u) * D;
  var cnt = 0u;
  for (var d = 0u; d < D; d++) { d_in[hb + d] = 0.0; }
  for (var s = 0u; s < S; s++) {
    let id = in_ids[x * S + s];
    if (!valid(id)) { continue; }
    cnt++;
    let r = u32(id) * D;
    for (var d = 0u; d < D; d++) { d_in[hb + d] += syn0[r + d]; }
  }
  if (cnt > 0u) {
    let inv = 1.0 / f32(cnt);
    for (var d = 0u; d < D; d++) { d_in[hb + d] *= inv; }
  }
  return vec2<u32>(cnt, hb);
}

// Example x of the chain that starts at c: the positive's row is syn1[out_ids[x, 0]] plus the
// running update in d_out[c, 0, :], which this adds to.
fn example(x: u32, c: u32) {
  let D = params.dim;
  let S = params.slots;
  let O = params.outs;
  let ib = x * S * D;
  let cb = c * O * D;
  let h = load_h(x);
  let cnt = h.x;
  let hb = h.y;
  for (var d = 0u; d < D; d++) { d_in[ib + d] = 0.0; }
  var l = 0.0;
  let rate = lr[x];
  for (var j = 0u; j < O; j++) {
    let ob = (x * O + j) * D;
    let o = out_ids[x * O + j];
    let pos = j == 0u;
    // column 0 of a later chain example stays zero: its update goes in the chain's running row
    if (pos && x != c) { for (var d = 0u; d < D; d++) { d_out[ob + d] = 0.0; } }
    if (cnt == 0u || !valid(o)) {
      if (!pos) { for (var d = 0u; d < D; d++) { d_out[ob + d] = 0.0; } }
      continue;
    }
    let r = u32(o) * D;
    let label = select(0.0, 1.0, pos);
    var f = 0.0;
    if (pos) {
      for (var d = 0u; d < D; d++) { f += h_at(hb, d) * (syn1[r + d] + d_out[cb + d]); }
      let g = (label - 1.0 / (1.0 + exp(-f))) * rate;
      for (var d = 0u; d < D; d++) {
        d_in[ib + d] += g * (syn1[r + d] + d_out[cb + d]);
        d_out[cb + d] += g * h_at(hb, d);
      }
    } else {
      for (var d = 0u; d < D; d++) { f += h_at(hb, d) * syn1[r + d]; }
      let g = (label - 1.0 / (1.0 + exp(-f))) * rate;
      for (var d = 0u; d < D; d++) {
        d_out[ob + d] = g * h_at(hb, d);
        d_in[ib + d] += g * syn1[r + d];
      }
    }
    l += softplus(select(f, -f, pos));
  }
  loss[x] = l;
  // the other input slots get the same row (or zero when empty); slot 0 is zeroed when empty
  for (var s = 1u; s < S; s++) {
    let on = valid(in_ids[x * S + s]);
    for (var d = 0u; d < D; d++) { d_in[ib + s * D + d] = select(0.0, d_in[ib + d], on); }
  }
  if (!valid(in_ids[x * S])) {
    for (var d = 0u; d < D; d++) { d_in[ib + d] = 0.0; }
  }
}

// does example x continue the chain of example x − 1 (same valid positive)?
fn chained(x: u32) -> bool {
  let O = params.outs;
  let w = out_ids[x * O];
  return x > 0u && valid(w) && out_ids[(x - 1u) * O] == w;
}

@compute @workgroup_size(WG, 1, 1)
fn w2v_grads(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let k = (wid.x + wid.y * nwg.x) * WG + lid;
  if (k >= params.chains) { return; }
  let c = u32(chains[k]);
  for (var d = 0u; d < params.dim; d++) { d_out[c * params.outs * params.dim + d] = 0.0; }
  example(c, c);
  for (var x = c + 1u; x < params.examples && chained(x); x++) { example(x, c); }
}
