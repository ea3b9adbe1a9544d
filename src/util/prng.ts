// Seeded, counter-based randomness. The same (seed, stream, counter) always yields the same
// number, on the CPU here and in WGSL (shaders/random.wgsl implements the same hash), so masks,
// initialisations and batch orders are reproducible and a resumed run continues exactly.
//
// The hash is a 32-bit integer mixer in the style of the "lowbias32" finaliser published by
// Chris Wellons (hash-prospector); three rounds over (seed, stream, counter) decorrelate nearby
// counters. It is not cryptographic; it is for reproducible ML randomness.

export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The per-(seed, stream) key: two of hash3's three rounds, computed once on the host. */
export function streamKey(seed: number, stream: number): number {
  const h = mix32((seed >>> 0) ^ 0x9e3779b9);
  return mix32(((h ^ (stream >>> 0)) + 0x85ebca6b) >>> 0);
}

/** The last round: a 32-bit word for (key, counter). Mirrors `hash_key` in shaders/random.wgsl. */
export function hashKey(key: number, counter: number): number {
  return mix32((((key >>> 0) ^ (counter >>> 0)) + 0xc2b2ae35) >>> 0);
}

/** A 32-bit random word for (seed, stream, counter). Mirrors `hash3` in shaders/random.wgsl. */
export function hash3(seed: number, stream: number, counter: number): number {
  return hashKey(streamKey(seed, stream), counter);
}

/** Uniform float in [0, 1) with 24 random bits, exactly representable in f32. */
export function uniform01(seed: number, stream: number, counter: number): number {
  return (hash3(seed, stream, counter) >>> 8) / 16777216;
}

/** A sequential generator built on the counter hash; its state is (seed, stream, counter). */
export class Rng {
  counter = 0;
  constructor(
    public readonly seed: number,
    public readonly stream = 0,
  ) {}

  nextU32(): number {
    return hash3(this.seed, this.stream, this.counter++);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal by Box-Muller. */
  normal(): number {
    const u1 = Math.max(this.next(), 1e-12);
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  state(): { seed: number; stream: number; counter: number } {
    return { seed: this.seed, stream: this.stream, counter: this.counter };
  }
}

/** Float32 array of `n` values uniform in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(lo, hi);
  return a;
}

/** Int32 array of `n` values in [0, max). */
export function randomInts(n: number, max: number, seed: number): Int32Array {
  const r = new Rng(seed);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.int(max);
  return a;
}
