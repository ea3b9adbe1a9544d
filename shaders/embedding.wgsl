//!include lib/float.wgsl
//!include lib/grid.wgsl
// Embedding gather and its deterministic scatter-add backward.
//   forward:  out[n, :] = table[ids[n], :]                  (an id outside [0, V) gathers NaN)
//   backward: dtable[v, :] += Σ_{n : ids[n] = v} dout[n, :]  (out-of-range ids add nothing)
// WGSL has no float atomics, and summing colliding rows in arrival order would not be
// bit-reproducible, so backward is a segment sum over ids sorted on the GPU:
//   1. emb_keys     key[n] = ids[n] (V when out of range), pos[n] = n
//   2. per radix pass (LSD, ≤ 8 bits each, ceil(log2(V + 1)) bits in all), a stable counting sort:
//      emb_hist     per chunk of C positions: digit counts into hist[digit · chunks + chunk]
//      emb_scan     exclusive prefix sum of hist (digit-major): each (digit, chunk)'s first slot
//      emb_scatter  per chunk, in position order: (key, pos) → its slot; stable, so after the
//                   last pass equal keys sit in increasing position order
//   3. emb_tiles    sorted order cut into tiles of L entries; per (tile, column): each run of one
//                   key is summed in sorted (= position) order; a run wholly inside the tile is
//                   added to dtable, a run that crosses a tile edge leaves its partial in head
//                   (run entered from the previous tile) or tail (run leaves for the next tile)
//      emb_chains   per (tile, column) whose tail run starts in it: tail + head of each following
//                   tile while the run continues, in tile order, then added to dtable
// Every float is summed in an order fixed by (ids, L), so repeated runs are bit-identical. Each
// dtable row is written by exactly one invocation per column, after the host cleared it (or not,
// to accumulate). Cost: O(N · passes) integer work + O(N · D) adds, for any V < 2^31 and any N.
// Rejected: one invocation per table row scanning all N ids (O(V · N): 3·10^9 steps at V = 50k,
// N = 64k) and integer-atomic bucketing (arrival order inside a bucket varies run to run).
//
// Bindings: table (V, D) f32; ids (N) i32; out (N, D) f32; dout (N, D) f32; dtable (V, D) f32;
//   keys_in, pos_in, keys_out, pos_out (N) u32; hist (radix · chunks) u32;
//   head, tail (tiles · D) f32; params uniform (one struct for every entry).
// Dispatch (flat grids, tail guarded): emb_fwd one invocation per output element; emb_keys per
//   position; emb_hist and emb_scatter per chunk; emb_tiles and emb_chains per (tile, column);
//   emb_scan exactly one workgroup. Barriers only in emb_scan (two; uniform control flow).

override WG: u32 = 64;

struct Params {
  n: u32,           // N ids
  dim: u32,         // D
  vocab: u32,       // V
  chunk: u32,       // C positions per chunk
  chunks: u32,      // ceil(N / C)
  shift: u32,       // first bit of this pass's digit
  radix: u32,       // 2^(digit bits)
  hist_len: u32,    // radix · chunks
  tile: u32,        // L sorted entries per tile
  tiles: u32,       // ceil(N / L)
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(5) var<storage, read> keys_in: array<u32>;
@group(0) @binding(6) var<storage, read> pos_in: array<u32>;
@group(0) @binding(7) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(8) var<storage, read_write> pos_out: array<u32>;
@group(0) @binding(9) var<storage, read_write> hist: array<u32>;
@group(0) @binding(10) var<storage, read_write> head: array<f32>;
@group(0) @binding(11) var<storage, read_write> tail: array<f32>;
@group(0) @binding(12) var<uniform> params: Params;

var<workgroup> partial: array<u32, WG>;

// ---- forward ------------------------------------------------------------------------------

// out[n, d] = table[ids[n], d]
@compute @workgroup_size(WG, 1, 1)
fn emb_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= params.n * params.dim) { return; }
  let n = i / params.dim;
  let d = i - n * params.dim;
  let id = ids[n];
  if (id < 0 || u32(id) >= params.vocab) {
    out[i] = quiet_nan();
  } else {
    out[i] = table[u32(id) * params.dim + d];
  }
}

// ---- backward: stable radix sort of (id, position) ----------------------------------------

@compute @workgroup_size(WG, 1, 1)
fn emb_keys(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let n = flat_index(wid, nwg, lid);
  if (n >= params.n) { return; }
  let id = ids[n];
  keys_out[n] = select(u32(id), params.vocab, id < 0 || u32(id) >= params.vocab);
  pos_out[n] = n;
}

fn digit(key: u32) -> u32 {
  return (key >> params.shift) & (params.radix - 1u);
}

// hist[digit · chunks + c] = #positions in chunk c whose key has this digit
@compute @workgroup_size(WG, 1, 1)
fn emb_hist(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let c = flat_index(wid, nwg, lid);
  if (c >= params.chunks) { return; }
  for (var r = 0u; r < params.radix; r++) { hist[r * params.chunks + c] = 0u; }
  let end = min(params.n, (c + 1u) * params.chunk);
  for (var i = c * params.chunk; i < end; i++) {
    let h = digit(keys_in[i]) * params.chunks + c;
    hist[h] = hist[h] + 1u;
  }
}

// Exclusive prefix sum of hist in place: invocation k owns a contiguous span, the span totals
// are scanned by invocation 0, then each span is rewritten.
@compute @workgroup_size(WG, 1, 1)
fn emb_scan(@builtin(local_invocation_index) lid: u32) {
  let per = (params.hist_len + WG - 1u) / WG;
  let lo = min(lid * per, params.hist_len);
  let hi = min(lo + per, params.hist_len);
  var sum = 0u;
  for (var i = lo; i < hi; i++) { sum += hist[i]; }
  partial[lid] = sum;
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var k = 0u; k < WG; k++) {
      let v = partial[k];
      partial[k] = run;
      run += v;
    }
  }
  workgroupBarrier();
  var run = partial[lid];
  for (var i = lo; i < hi; i++) {
    let v = hist[i];
    hist[i] = run;
    run += v;
  }
}

// Stable scatter: chunk c walks its positions in order and places each at its digit's next slot.
@compute @workgroup_size(WG, 1, 1)
fn emb_scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let c = flat_index(wid, nwg, lid);
  if (c >= params.chunks) { return; }
  let end = min(params.n, (c + 1u) * params.chunk);
  for (var i = c * params.chunk; i < end; i++) {
    let key = keys_in[i];
    let h = digit(key) * params.chunks + c;
    let slot = hist[h];
    hist[h] = slot + 1u;
    keys_out[slot] = key;
    pos_out[slot] = pos_in[i];
  }
}

// ---- backward: segment sums over the sorted keys ------------------------------------------

fn add_row(key: u32, d: u32, s: f32) {
  if (key < params.vocab) {
    let o = key * params.dim + d;
    dtable[o] = dtable[o] + s;
  }
}

// Does the run of the key at sorted index `last` continue past it (into the next tile)?
fn continues_after(last: u32) -> bool {
  return last + 1u < params.n && keys_in[last + 1u] == keys_in[last];
}

@compute @workgroup_size(WG, 1, 1)
fn emb_tiles(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let g = flat_index(wid, nwg, lid);
  if (g >= params.tiles * params.dim) { return; }
  let t = g / params.dim;
  let d = g - t * params.dim;
  let a0 = t * params.tile;
  let e = min(a0 + params.tile, params.n);
  let cont_in = a0 > 0u && keys_in[a0 - 1u] == keys_in[a0];
  let cont_out = continues_after(e - 1u);
  var key = keys_in[a0];
  var first = true;  // the current run is the tile's first
  var s = 0.0;
  for (var i = a0; i < e; i++) {
    let k = keys_in[i];
    if (k != key) {
      // the run of `key` ended at i − 1, inside this tile
      if (first && cont_in) { head[g] = s; } else { add_row(key, d, s); }
      key = k;
      first = false;
      s = 0.0;
    }
    s += dout[pos_in[i] * params.dim + d];
  }
  // the last run of the tile
  if (first && cont_in) {
    head[g] = s;        // entered from the previous tile (and may leave for the next)
  } else if (cont_out) {
    tail[g] = s;        // starts here and leaves for the next tile: emb_chains finishes it
  } else {
    add_row(key, d, s);
  }
}

@compute @workgroup_size(WG, 1, 1)
fn emb_chains(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let g = flat_index(wid, nwg, lid);
  if (g >= params.tiles * params.dim) { return; }
  let t = g / params.dim;
  let d = g - t * params.dim;
  let a0 = t * params.tile;
  let e = min(a0 + params.tile, params.n);
  let key = keys_in[e - 1u];
  let whole_tile_continued = a0 > 0u && keys_in[a0 - 1u] == key;  // this tile's last run started earlier
  if (!continues_after(e - 1u) || whole_tile_continued) { return; }
  var s = tail[g];
  var u = t + 1u;
  loop {
    s += head[u * params.dim + d];
    let eu = (u + 1u) * params.tile;  // first index past tile u
    if (eu >= params.n || keys_in[eu] != key) { break; }  // sorted: tile u was all `key`
    u += 1u;
  }
  add_row(key, d, s);
}
