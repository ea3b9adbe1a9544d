// The 16-bit float codecs behind safetensors F16 / BF16: exhaustive round trips, rounding to
// nearest even, overflow and underflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBf16, decodeF16, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/io/half';
import { Rng } from '../../src/util/prng';

// ---------------------------------------------------------------------------------------------
// 16-bit floats

test('F16 codec: every bit pattern survives decode → encode; decodeF16 matches the scalar decoder', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const dec = decodeF16(all);
  for (let h = 0; h < 65536; h++) {
    const x = f16BitsToF32(h);
    assert.ok(Object.is(dec[h], x) || (Number.isNaN(dec[h]) && Number.isNaN(x)), `table at ${h}`);
    const back = f32ToF16Bits(x);
    if (Number.isNaN(x)) assert.ok((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0, `NaN ${h} → ${back}`);
    else assert.equal(back, h, `bits 0x${h.toString(16)}`);
  }
});

test('F16 codec: rounds to nearest, ties to even, overflows to infinity, underflows to zero', () => {
  for (let h = 0; h < 0x7bff; h++) {
    const lo = f16BitsToF32(h);
    const hi = f16BitsToF32(h + 1);
    const mid = (lo + hi) / 2; // exact in float32: one bit more than binary16
    const even = (h & 1) === 0 ? h : h + 1;
    assert.equal(f32ToF16Bits(mid), even, `tie between 0x${h.toString(16)} and its successor`);
    assert.equal(f32ToF16Bits(-mid), even | 0x8000);
    assert.equal(f32ToF16Bits(mid - (hi - lo) / 8), h);
    assert.equal(f32ToF16Bits(mid + (hi - lo) / 8), h + 1);
  }
  assert.equal(f32ToF16Bits(65519), 0x7bff); // below the tie with 2^16: max finite
  assert.equal(f32ToF16Bits(65520), 0x7c00); // the tie rounds to even: +Infinity
  assert.equal(f32ToF16Bits(1e10), 0x7c00);
  assert.equal(f32ToF16Bits(-Infinity), 0xfc00);
  assert.equal(f32ToF16Bits(2 ** -25), 0); // half the smallest subnormal: tie → 0
  assert.equal(f32ToF16Bits(2 ** -25 * 1.0001), 1);
  assert.equal(f32ToF16Bits(-1e-30), 0x8000);
});

test('BF16 codec: round to nearest even on random float32s, exact decode, NaN stays NaN', () => {
  const r = new Rng(17);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < 20000; i++) {
    u[0] = r.nextU32();
    const x = f[0]!;
    if (!Number.isFinite(x)) continue;
    const bits = f32ToBf16Bits(x);
    const trunc = u[0]! >>> 16;
    const lo = decodeBf16(new Uint16Array([trunc]))[0]!;
    const hi = decodeBf16(new Uint16Array([trunc + 1]))[0]!; // next magnitude (may be ±Infinity)
    const dlo = Math.abs(x - lo);
    const dhi = Number.isFinite(hi) ? Math.abs(hi - x) : Math.abs(x) >= 3.3961775292304904e38 ? 0 : Infinity;
    const want = dlo < dhi ? trunc : dlo > dhi ? trunc + 1 : (trunc & 1) === 0 ? trunc : trunc + 1;
    assert.equal(bits, want & 0xffff, `x = ${x}`);
  }
  assert.ok(Number.isNaN(decodeBf16(new Uint16Array([f32ToBf16Bits(NaN)]))[0]!));
  assert.equal(f32ToBf16Bits(3.4e38), 0x7f80); // rounds up past max finite bf16
});
