//!include lib/sigmoid.wgsl
// GELU in its tanh form, ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), and its derivative
// (`//!include lib/gelu.wgsl`). Computed as x·σ(2u), which equals ½x(1 + tanh u) but is free of
// cancellation for negative x. Past |2u| = GELU_SAT gelu is x or 0 in f32 and its slope 1 or 0;
// returning those there also keeps x³ overflow (|x| > ~1e12) out of the results.
// NaN is the caller's to handle (test it before calling). No bindings; pure functions.

const GELU_K: f32 = 0.7978845608028654; // √(2/π)
const GELU_C: f32 = 0.044715;
const GELU_SAT: f32 = 80.0;

// z = 2u = 2·√(2/π)(x + 0.044715x³)
fn gelu_z(v: f32) -> f32 {
  return 2.0 * GELU_K * (v + GELU_C * v * v * v);
}

fn gelu(v: f32) -> f32 {
  let z = gelu_z(v);
  if (abs(z) >= GELU_SAT) { return select(0.0, v, z > 0.0); }
  return v * sigmoid_pair(z).x;
}

// d/dx x·σ(2u) = σ(2u) + 2x·σ(2u)σ(−2u)·u',  u' = √(2/π)(1 + 3·0.044715x²)
fn gelu_grad(v: f32) -> f32 {
  let z = gelu_z(v);
  if (abs(z) >= GELU_SAT) { return select(0.0, 1.0, z > 0.0); }
  let q = sigmoid_pair(z);
  return q.x + 2.0 * v * q.x * q.y * GELU_K * (1.0 + 3.0 * GELU_C * v * v);
}
