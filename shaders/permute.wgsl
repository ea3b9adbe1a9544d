// permute: out = x.permute(perm) for tensors of rank <= 4 (lower ranks are padded with leading
// size-1 axes on the host), e.g. (B, T, H, d) -> (B, H, T, d) to split attention heads.
//
// Bindings: x (numel, f32) read; y (numel, f32) read_write; params uniform.
//   params.out_shape: the output shape (4 axes); params.in_strides: for each OUTPUT axis, the
//   stride of the input axis it reads (so in_index = Σ coord_k · in_strides[k]).
// Dispatch: flat grid of ceil(n / WG) workgroups (may be split over x and y); one output element
// per invocation; no workgroup memory, no barriers. Writes are coalesced, reads are strided.

override WG: u32 = 256;

struct Params {
  n: u32,
  out_shape: vec4<u32>,
  in_strides: vec4<u32>,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn permute(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.n) { return; }
  let s = params.out_shape;
  var r = i;
  let c3 = r % s.w; r = r / s.w;
  let c2 = r % s.z; r = r / s.z;
  let c1 = r % s.y; r = r / s.y;
  let c0 = r;
  let src = c0 * params.in_strides.x + c1 * params.in_strides.y + c2 * params.in_strides.z + c3 * params.in_strides.w;
  y[i] = x[src];
}
