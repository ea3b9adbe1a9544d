// IEEE special values for kernels that must get NaN and ±Inf right (`//!include lib/float.wgsl`).
// WGSL lets implementations assume no NaN or Inf: `x != x`, max and exp may drop a NaN
// (SwiftShader's do), and a const-expression may not evaluate to NaN or ±Inf. So NaN is tested
// on the bits, and the special values are built at run time from a `var`.
// No bindings; pure functions.

// The lowest finite f32: the identity of max where −Inf may not be used.
const F32_LOWEST: f32 = -3.4028234663852886e38;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
fn is_nan4(v: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

fn quiet_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}
