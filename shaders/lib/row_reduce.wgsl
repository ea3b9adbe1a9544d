// Reductions along a row that TPR consecutive invocations share (`//!include lib/row_reduce.wgsl`):
// the softmax and layernorm row kernels. Invocation t = lid mod TPR of a row holds a partial
// result; reduce_row combines the TPR partials in a fixed tree (deterministic) and hands the
// result to all of them. hsum is the horizontal sum of a vec4 partial.
//
// The including file declares `override WG` and `override TPR` (a power of two dividing WG),
// used here. Workgroup memory: red (WG vec2). Barriers: log2(TPR) + 2 per call when TPR > 1,
// none when TPR = 1; every invocation of the workgroup must make the call (rows past the end
// included), in uniform control flow.

var<workgroup> red: array<vec2<f32>, WG>;

fn hsum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// Max (is_max) or sum of v over the TPR invocations of one row; every invocation gets the result.
// The last barrier lets `red` be reused. With TPR = 1 there is nothing to reduce and no barrier.
fn reduce_row(lid: u32, t: u32, v: vec2<f32>, is_max: bool) -> vec2<f32> {
  if (TPR == 1u) { return v; }
  red[lid] = v;
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (t < s) {
      if (is_max) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] = red[lid] + red[lid + s]; }
    }
  }
  workgroupBarrier();
  let out = red[lid - t];
  workgroupBarrier();
  return out;
}
