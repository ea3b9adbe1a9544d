// The logistic function σ, stable for any argument (`//!include lib/sigmoid.wgsl`).
// No bindings; pure functions.

// σ(z) and σ(−z) = 1 − σ(z), each without cancellation or overflow: only exp(−|z|) is taken.
fn sigmoid_pair(z: f32) -> vec2<f32> {
  let e = exp(-abs(z));
  let p = 1.0 / (1.0 + e);
  return select(vec2<f32>(e * p, p), vec2<f32>(p, e * p), z >= 0.0);
}
