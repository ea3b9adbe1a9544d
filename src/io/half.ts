// 16-bit float codecs for file I/O: IEEE 754 binary16 ("F16") and bfloat16 ("BF16") to and
// from float32 bit patterns. Encoding rounds to nearest, ties to even, like a hardware cast;
// overflow goes to ±Infinity, NaN stays NaN (quiet). Decoding is exact: every binary16 and
// bfloat16 value is a float32.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value → binary16 bits, round to nearest even. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // the binary16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // binary16 subnormal: value = h · 2^-24, so h = (1.mant · 2^23) >> (14 - e)
    if (e < -10) return sign; // below half the smallest subnormal
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may reach Infinity: correct
  return sign | h;
}

/** binary16 bits → float32 value (exact). */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    const v = mant * 2 ** -24; // zero or subnormal
    return sign !== 0 ? -v : v;
  }
  u32[0] = exp === 0x1f ? (sign | 0x7f800000 | (mant << 13)) >>> 0 : (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  return f32[0]!;
}

let f16Table: Float32Array | undefined;

/** Decodes binary16 bit patterns into a new Float32Array (a 256 KiB lookup table, built once). */
export function decodeF16(bits: Uint16Array): Float32Array {
  if (f16Table === undefined) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  const t = f16Table;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}

/** float32 value → bfloat16 bits (the top half of the float32), round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes bfloat16 bit patterns into a new Float32Array. */
export function decodeBf16(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}
