// Counter-based random numbers shared by kernels (`//!include random.wgsl`). `hash3` mirrors
// src/util/prng.ts exactly: the same (seed, stream, counter) gives the same 32-bit word on the CPU
// and the GPU. No bindings; pure functions.

fn mix32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}

fn hash3(seed: u32, stream: u32, counter: u32) -> u32 {
  var h = mix32(seed ^ 0x9e3779b9u);
  h = mix32((h ^ stream) + 0x85ebca6bu);
  h = mix32((h ^ counter) + 0xc2b2ae35u);
  return h;
}

// Uniform in [0, 1) from the top 24 bits, exactly as uniform01 in prng.ts.
fn uniform01(seed: u32, stream: u32, counter: u32) -> f32 {
  return f32(hash3(seed, stream, counter) >> 8u) / 16777216.0;
}
