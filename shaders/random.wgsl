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

// Kernels that draw many numbers per (seed, stream) take the key from the host (streamKey in
// prng.ts) and pay one mix32 per number: hash3(s, t, c) == hash_key(streamKey(s, t), c).
fn stream_key(seed: u32, stream: u32) -> u32 {
  let h = mix32(seed ^ 0x9e3779b9u);
  return mix32((h ^ stream) + 0x85ebca6bu);
}

fn hash_key(key: u32, counter: u32) -> u32 {
  return mix32((key ^ counter) + 0xc2b2ae35u);
}

fn hash3(seed: u32, stream: u32, counter: u32) -> u32 {
  return hash_key(stream_key(seed, stream), counter);
}

// Uniform in [0, 1) from the top 24 bits, exactly as uniform01 in prng.ts.
fn uniform01(seed: u32, stream: u32, counter: u32) -> f32 {
  return f32(hash3(seed, stream, counter) >> 8u) / 16777216.0;
}

fn uniform01_key(key: u32, counter: u32) -> f32 {
  return f32(hash_key(key, counter) >> 8u) / 16777216.0;
}
