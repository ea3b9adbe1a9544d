// Safetensors I/O: round trips of every dtype, the exact byte layout of small files written by
// hand from the format spec, the 16-bit float codecs, every kind of malformed or hostile file
// (each must fail with a SafetensorsError that names the problem, without large allocations),
// and a seeded fuzz loop over mutated files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DTYPES, MAX_HEADER_BYTES, SafetensorsError, loadSafetensors, readSafetensorsHeader, saveSafetensors,
  type Dtype, type LoadOptions, type TensorToSave,
} from '../../src/io/safetensors';
import { decodeBf16, decodeF16, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/io/half';
import { Rng } from '../../src/util/prng';

// ---------------------------------------------------------------------------------------------
// helpers

const enc = new TextEncoder();

function u64le(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const f32le = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

/** A file with the given header text (not padded) and `data` (bytes, or a count of zero bytes). */
function rawFile(header: string | object, data: Uint8Array | number = 0): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  return concat(u64le(h.length), h, typeof data === 'number' ? new Uint8Array(data) : data);
}

function rejects(bytes: Uint8Array, message: RegExp, tensor?: string, opts?: LoadOptions): void {
  for (const read of [() => readSafetensorsHeader(bytes, opts), () => loadSafetensors(bytes, opts)]) {
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected a SafetensorsError, got ${String(e)}`);
      assert.match(e.message, message);
      assert.equal(e.tensor, tensor, `error.tensor for: ${e.message}`);
      return true;
    });
  }
}

function saveRejects(tensors: Record<string, TensorToSave>, message: RegExp, metadata?: Record<string, string>): void {
  assert.throws(() => saveSafetensors(tensors, metadata), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `expected a SafetensorsError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// round trips

test('safetensors round trip: every dtype, odd shapes, values at the edges of each range', () => {
  const tensors: Record<string, TensorToSave> = {
    f64: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) },
    f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([0, -0, 1.5, -3.25, Infinity, 1e-45]) },
    f16: { dtype: 'F16', shape: [5], data: new Float32Array([0, -2, 65504, 6.103515625e-5, 5.960464477539063e-8]) },
    bf16: { dtype: 'BF16', shape: [1, 4], data: [1, -0.5, 3.3895313892515355e38, 2 ** -133] },
    i64: { dtype: 'I64', shape: [4], data: [0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER] },
    u64: { dtype: 'U64', shape: [2], data: [0, Number.MAX_SAFE_INTEGER] },
    i32: { dtype: 'I32', shape: [3], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 7]) },
    u32: { dtype: 'U32', shape: [2], data: [0, 2 ** 32 - 1] },
    i16: { dtype: 'I16', shape: [2], data: [-32768, 32767] },
    u16: { dtype: 'U16', shape: [2], data: [0, 65535] },
    i8: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
    u8: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
    bool: { dtype: 'BOOL', shape: [3], data: [true, false, true] },
  };
  const bytes = saveSafetensors(tensors);
  const { tensors: got, metadata } = loadSafetensors(bytes);
  assert.deepEqual(metadata, {});
  assert.equal(got.size, Object.keys(DTYPES).length);
  const want: Record<string, ArrayLike<number>> = {
    f64: [Math.PI, -1e300, 5e-324],
    f32: [0, -0, 1.5, -3.25, Infinity, Math.fround(1e-45)],
    f16: [0, -2, 65504, 6.103515625e-5, 5.960464477539063e-8],
    bf16: [1, -0.5, 3.3895313892515355e38, 2 ** -133],
    i64: [0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
    u64: [0, Number.MAX_SAFE_INTEGER],
    i32: [-(2 ** 31), 2 ** 31 - 1, 7],
    u32: [0, 2 ** 32 - 1],
    i16: [-32768, 32767],
    u16: [0, 65535],
    i8: [-128, 127],
    u8: [0, 128, 255],
    bool: [1, 0, 1],
  };
  const kinds: Record<Dtype, string> = {
    F64: 'Float64Array', F32: 'Float32Array', F16: 'Float32Array', BF16: 'Float32Array', I64: 'Float64Array',
    U64: 'Float64Array', I32: 'Int32Array', U32: 'Uint32Array', I16: 'Int16Array', U16: 'Uint16Array',
    I8: 'Int8Array', U8: 'Uint8Array', BOOL: 'Uint8Array',
  };
  for (const [name, t] of Object.entries(tensors)) {
    const g = got.get(name)!;
    assert.equal(g.dtype, t.dtype, name);
    assert.deepEqual(g.shape, [...t.shape], name);
    assert.equal(g.data.constructor.name, kinds[t.dtype], name);
    assert.deepEqual(Array.from(g.data as ArrayLike<number>), Array.from(want[name]!), name);
  }
  // -0 survives (deepEqual on arrays uses Object.is)
  assert.ok(Object.is(got.get('f32')!.data[1], -0));
});

test('safetensors round trip: 64-bit integers as BigInt arrays, and raw 16-bit float bits', () => {
  const big = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n]);
  const ubig = new BigUint64Array([2n ** 64n - 1n, 0n]);
  const f16bits = new Uint16Array([0x7c00, 0xfc00, 0x7e01, 0x0001, 0x8000]);
  const bytes = saveSafetensors({
    big: { dtype: 'I64', shape: [3], data: big },
    ubig: { dtype: 'U64', shape: [2], data: ubig },
    h: { dtype: 'F16', shape: [5], data: f16bits },
    bh: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xff81]) },
  });
  const { tensors } = loadSafetensors(bytes, { int64: 'bigint' });
  assert.deepEqual(tensors.get('big')!.data, big);
  assert.deepEqual(tensors.get('ubig')!.data, ubig);
  const h = tensors.get('h')!.data as Float32Array;
  assert.deepEqual([h[0], h[1], h[3], h[4]], [Infinity, -Infinity, 2 ** -24, -0]);
  assert.ok(Number.isNaN(h[2]));
  const bh = tensors.get('bh')!.data as Float32Array;
  assert.equal(bh[0], 1);
  assert.ok(Number.isNaN(bh[1]));
  // as numbers, an I64 beyond 2^53 is refused, naming the tensor, the element and its exact value
  assert.throws(() => loadSafetensors(saveSafetensors({ big: { dtype: 'I64', shape: [3], data: big } })), (e: unknown) => e instanceof SafetensorsError && e.tensor === 'big' &&
    /tensor "big": element 0 is -9223372036854775808, beyond ±\(2\^53 - 1\); load with \{ int64: 'bigint' \}/.test(e.message));
  assert.throws(() => loadSafetensors(saveSafetensors({ u: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 53n]) } })),
    /tensor "u": element 0 is 9007199254740992, beyond/);
});

test('safetensors round trip: empty tensors, scalars, metadata, awkward names', () => {
  const bytes = saveSafetensors(
    {
      empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
      empty3: { dtype: 'I64', shape: [2, 0, 3], data: [] },
      scalar: { dtype: 'F64', shape: [], data: [42.5] },
      ['__proto__']: { dtype: 'U8', shape: [1], data: [9] }, // computed: a plain '__proto__': would set the prototype
      'naïve.名前 🙂': { dtype: 'BOOL', shape: [], data: [false] },
      '': { dtype: 'I8', shape: [1], data: [-1] },
    },
    { format: 'pt', ['__proto__']: 'kept', 'ключ': 'значение "quoted" \\ \n' },
  );
  const { tensors, metadata } = loadSafetensors(bytes);
  assert.deepEqual(Object.keys(metadata).sort(), ['__proto__', 'format', 'ключ']);
  assert.equal(metadata['__proto__'], 'kept');
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  assert.equal(metadata['ключ'], 'значение "quoted" \\ \n');
  assert.deepEqual(tensors.get('empty'), { dtype: 'F32', shape: [0], data: new Float32Array(0) });
  assert.deepEqual(tensors.get('empty3'), { dtype: 'I64', shape: [2, 0, 3], data: new Float64Array(0) });
  assert.deepEqual(tensors.get('scalar'), { dtype: 'F64', shape: [], data: new Float64Array([42.5]) });
  assert.deepEqual(tensors.get('__proto__')!.data, new Uint8Array([9]));
  assert.deepEqual(tensors.get('naïve.名前 🙂')!.data, new Uint8Array([0]));
  assert.deepEqual(tensors.get('')!.data, new Int8Array([-1]));
  // no tensors at all
  assert.equal(loadSafetensors(saveSafetensors({})).tensors.size, 0);
});

test('safetensors load: copies out of the input, works at any byte offset, header lists file order', () => {
  const file = saveSafetensors({
    w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    b: { dtype: 'F16', shape: [2], data: [0.5, 0.25] },
  });
  const big = new Uint8Array(file.length + 3);
  big.set(file, 3);
  const shifted = big.subarray(3); // misaligned for every multi-byte type
  const { tensors } = loadSafetensors(shifted);
  assert.deepEqual(tensors.get('w')!.data, new Float32Array([1, 2, 3, 4]));
  big.fill(0);
  assert.deepEqual(tensors.get('w')!.data, new Float32Array([1, 2, 3, 4]), 'result must not alias the input');
  const h = readSafetensorsHeader(file);
  assert.deepEqual([...h.tensors.keys()], ['w', 'b']);
  assert.deepEqual(h.tensors.get('b'), { dtype: 'F16', shape: [2], dataOffsets: [16, 20] });
  assert.equal(h.dataStart, 8 + h.headerLength);
  assert.equal(h.headerLength % 8, 0);
});

// ---------------------------------------------------------------------------------------------
// byte-exact layout, written by hand from the spec

test('safetensors layout: one F32 tensor, 64-byte header needing no padding', () => {
  // The same three vectors appear in the reference implementation's tests (tensor.rs:
  // test_serialization, test_empty); here they are spelled out from the format itself.
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 64);
  const want = concat(u64le(64), enc.encode(header), f32le([0, 1, 2, 3, 4, 5]));
  const got = saveSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.deepEqual(got, want);
  assert.deepEqual(Array.from(got.subarray(0, 8)), [64, 0, 0, 0, 0, 0, 0, 0]);
});

test('safetensors layout: empty file and metadata-only file are padded with spaces to 8 bytes', () => {
  assert.deepEqual(saveSafetensors({}), concat(u64le(8), enc.encode('{}      ')));
  const meta = '{"__metadata__":{"framework":"pt"}}'; // 35 bytes → 40
  assert.deepEqual(saveSafetensors({}, { framework: 'pt' }), concat(u64le(40), enc.encode(`${meta}     `)));
});

test('safetensors layout: tensors sorted by descending dtype alignment then name, contiguous, metadata first', () => {
  const got = saveSafetensors(
    {
      b: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      c: { dtype: 'I16', shape: [1], data: [-2] },
      a: { dtype: 'F32', shape: [2], data: [1.5, -2] },
      A: { dtype: 'F32', shape: [], data: [1] },
    },
    { z: '1', k: 'v' },
  );
  const header =
    '{"__metadata__":{"k":"v","z":"1"},' +
    '"A":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},' +
    '"c":{"dtype":"I16","shape":[1],"data_offsets":[12,14]},' +
    '"b":{"dtype":"U8","shape":[3],"data_offsets":[14,17]}}';
  assert.equal(header.length, 249); // → padded with 7 spaces to 256 = 0x100
  const want = concat(
    [0x00, 0x01, 0, 0, 0, 0, 0, 0],
    enc.encode(`${header}       `),
    [0x00, 0x00, 0x80, 0x3f], // A = 1.0f
    [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0], // a = 1.5f, -2.0f
    [0xfe, 0xff], // c = -2 as i16
    [1, 2, 3], // b
  );
  assert.deepEqual(got, want);
});

test('safetensors layout: deterministic bytes whatever the insertion order; names in code-point order', () => {
  const t = (v: number): TensorToSave => ({ dtype: 'F32', shape: [1], data: [v] });
  const x = saveSafetensors({ '\u{10000}': t(1), '\uffff': t(2), a: t(3) });
  const y = saveSafetensors({ a: t(3), '\uffff': t(2), '\u{10000}': t(1) });
  assert.deepEqual(x, y);
  // U+FFFF sorts before U+10000 by code point (UTF-16 code units would say the opposite)
  assert.deepEqual([...readSafetensorsHeader(x).tensors.keys()], ['a', '\uffff', '\u{10000}']);
  // every tensor starts aligned to its element size (header padded to 8, sizes descending)
  const mixed = saveSafetensors({
    p: { dtype: 'U8', shape: [3], data: [1, 2, 3] },
    q: { dtype: 'F64', shape: [1], data: [1] },
    r: { dtype: 'F16', shape: [3], data: [1, 2, 3] },
    s: { dtype: 'I32', shape: [1], data: [1] },
  });
  const h = readSafetensorsHeader(mixed);
  for (const info of h.tensors.values()) assert.equal((h.dataStart + info.dataOffsets[0]) % DTYPES[info.dtype].size, 0);
});

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

// ---------------------------------------------------------------------------------------------
// malformed and hostile files

const okEntry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

test('safetensors rejects: too short, header length past the cap or the file', () => {
  rejects(new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length field/);
  rejects(new Uint8Array(7), /file is 7 bytes/);
  rejects(concat(u64le(2n ** 64n - 1n), new Uint8Array(100)), /header length 18446744073709551615 is over the cap of 100000000 bytes/);
  rejects(concat(u64le(MAX_HEADER_BYTES + 1), new Uint8Array(10)), /header length 100000001 is over the cap/);
  rejects(concat(u64le(100), enc.encode('{}')), /header length 100 runs past the end of the file: only 2 bytes follow/);
  rejects(rawFile({ w: okEntry }, 8), /header length \d+ is over the cap of 16 bytes/, undefined, { maxHeaderBytes: 16 });
});

test('safetensors rejects: header not UTF-8, not JSON, not an object', () => {
  rejects(concat(u64le(4), [0x7b, 0xff, 0xfe, 0x7d]), /header \(4 bytes\) is not valid UTF-8/);
  rejects(concat(u64le(3), [0xe2, 0x82, 0x7d]), /not valid UTF-8/); // truncated multi-byte sequence
  rejects(concat(u64le(5), [0xef, 0xbb, 0xbf, 0x7b, 0x7d]), /header is not valid JSON/); // a BOM is not JSON
  rejects(rawFile(''), /header is not valid JSON/);
  rejects(rawFile('{"w":'), /header is not valid JSON/);
  rejects(rawFile('{} x'), /header is not valid JSON/);
  rejects(rawFile('[]'), /header is an array, not a JSON object/);
  rejects(rawFile('null'), /header is null, not a JSON object/);
  rejects(rawFile('"{}"'), /header is "\{\}", not a JSON object/);
  rejects(rawFile('7'), /header is 7, not a JSON object/);
  // escaped lone surrogates parse in JS but are not valid strings (serde_json refuses them too)
  rejects(rawFile('{"a\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), /tensor "a\\ud800": name contains a lone UTF-16 surrogate/, 'a\ud800');
  rejects(rawFile('{"__metadata__":{"k":"\\udc00"}}'), /"__metadata__" entry "k" contains a lone UTF-16 surrogate/);
  // padding may be spaces (as written) or any JSON whitespace; NUL padding is not JSON
  assert.equal(loadSafetensors(rawFile('{}\t\n\r ')).tensors.size, 0);
  rejects(concat(u64le(8), enc.encode('{}'), new Uint8Array(6)), /header is not valid JSON/);
});

test('safetensors rejects: tensor entries with missing, extra or mistyped fields', () => {
  rejects(rawFile({ w: 3 }, 8), /tensor "w": entry is 3, not an object/, 'w');
  rejects(rawFile({ w: [1] }, 8), /tensor "w": entry is an array, not an object/, 'w');
  rejects(rawFile({ w: { dtype: 'F32', shape: [2] } }, 8), /tensor "w": missing field "data_offsets"/, 'w');
  rejects(rawFile({ w: { ...okEntry, extra: 1 } }, 8), /tensor "w": unexpected field "extra"/, 'w');
  rejects(rawFile({ w: { ...okEntry, dtype: 4 } }, 8), /tensor "w": dtype is 4, not a string/, 'w');
  rejects(rawFile({ w: { ...okEntry, dtype: 'float32' } }, 8), /tensor "w": dtype "float32" is not a safetensors dtype \(supported: /, 'w');
  rejects(rawFile({ w: { ...okEntry, dtype: 'F8_E4M3' } }, 8), /dtype "F8_E4M3" is not supported by this reader/, 'w');
  rejects(rawFile({ w: { ...okEntry, shape: '2' } }, 8), /tensor "w": shape is "2", not an array/, 'w');
  rejects(rawFile({ w: { ...okEntry, shape: [2, '1'] } }, 8), /tensor "w": shape\[1\] is "1", not a non-negative integer/, 'w');
  rejects(rawFile({ w: { ...okEntry, shape: [[2]] } }, 8), /shape\[0\] is an array/, 'w');
  rejects(rawFile({ w: { ...okEntry, data_offsets: [0] } }, 8), /data_offsets is an array of length 1, not \[begin, end\]/, 'w');
  rejects(rawFile({ w: { ...okEntry, data_offsets: { 0: 0, 1: 8 } } }, 8), /data_offsets is an object/, 'w');
  rejects(rawFile({ w: { ...okEntry, data_offsets: [0, null] } }, 8), /data_offsets holds null/, 'w');
});

test('safetensors rejects: negative, fractional, exponent and unsafe numbers in shapes and offsets', () => {
  const e = (shape: string, offsets = '[0,8]'): Uint8Array => rawFile(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}}`, 8);
  rejects(e('[-2]'), /tensor "w": header has the number -2 in "shape"; shapes and offsets must be plain non-negative integers/, 'w');
  rejects(e('[2.0]'), /the number 2\.0 in "shape"/, 'w');
  rejects(e('[2e0]'), /the number 2e0 in "shape"/, 'w');
  rejects(e('[-0, 2]'), /the number -0 in "shape"/, 'w');
  rejects(e('[02]'), /header is not valid JSON/); // leading zeros are not JSON at all
  rejects(e('[2]', '[0,8.5]'), /the number 8\.5 in "data_offsets"/, 'w');
  rejects(e('[2]', '[-8,0]'), /the number -8 in "data_offsets"/, 'w');
  rejects(e('[9007199254740993]'), /shape\[0\] is 9007199254740992, not a non-negative integer/, 'w');
  rejects(e('[2]', '[0,9007199254740993]'), /data_offsets holds 9007199254740992, not a non-negative integer/, 'w');
  rejects(rawFile('{"__metadata__":{"n":1.5}}'), /header has the number 1\.5 in "__metadata__" → "n"/);
  rejects(rawFile({ w: { ...okEntry, data_offsets: [0, 8, [2.5]] } }, 8), /the number 2\.5 in "data_offsets"/, 'w');
});

test('safetensors rejects: sizes that overflow or disagree with the offsets, before allocating', () => {
  rejects(rawFile({ w: { dtype: 'F32', shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 8] } }, 8),
    /tensor "w": shape \[67108864, 67108864, 67108864\] has more than 2\^53 - 1 elements/, 'w');
  // [huge, huge, 0] overflows before the 0, as the reference's checked fold does
  rejects(rawFile({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 0], data_offsets: [0, 0] } }), /has more than 2\^53 - 1 elements/, 'w');
  rejects(rawFile({ w: { dtype: 'F64', shape: [2 ** 51], data_offsets: [0, 8] } }, 8), /shape \[2251799813685248\] × F64 \(8 bytes\) is more than 2\^53 - 1 bytes/, 'w');
  rejects(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
    /tensor "w": shape \[3\] × F32 \(4 bytes\) = 12 bytes, but data_offsets \[0, 8\] span 8 bytes/, 'w');
  rejects(rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), /tensor "w": data_offsets \[8, 0\] has begin > end/, 'w');

  // a header that is self-consistent but claims 10^15 elements (4 PB) in a 100-byte file
  const hostile = rawFile({ w: { dtype: 'F32', shape: [1e15], data_offsets: [0, 4e15] } }, 100);
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  rejects(hostile, /tensor "w": data_offsets \[0, 4000000000000000\] run past the end of the 100-byte data section/, 'w');
  const ms = performance.now() - t0;
  assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'allocated a large buffer');
});

test('safetensors rejects: overlapping tensors, gaps, uncovered trailing bytes', () => {
  const f = (a: number[], b: number[], len: number): Uint8Array =>
    rawFile({ a: { dtype: 'U8', shape: [a[1]! - a[0]!], data_offsets: a }, b: { dtype: 'U8', shape: [b[1]! - b[0]!], data_offsets: b } }, len);
  rejects(f([0, 6], [4, 8], 8), /tensor "b": data_offsets \[4, 8\] overlap tensor "a" at \[0, 6\]/, 'b');
  rejects(f([0, 8], [0, 8], 8), /data_offsets \[0, 8\] overlap tensor "a" at \[0, 8\]/, 'b');
  rejects(f([0, 4], [6, 8], 8), /bytes \[4, 6\) of the data section belong to no tensor \(a gap between "a" and "b"\)/);
  rejects(f([2, 4], [4, 8], 8), /bytes \[0, 2\) .* \(a gap at the start of the data section\)/);
  rejects(f([0, 4], [4, 8], 9), /the data section is 9 bytes but tensors cover only \[0, 8\): trailing bytes belong to no tensor/);
  rejects(rawFile({}, 3), /the data section is 3 bytes but tensors cover only \[0, 0\)/);
  rejects(f([0, 4], [4, 12], 8), /tensor "b": data_offsets \[4, 12\] run past the end of the 8-byte data section/, 'b');
  // an empty tensor may sit at a tensor boundary, but not inside another tensor
  assert.equal(loadSafetensors(f([0, 8], [8, 8], 8)).tensors.size, 2);
  rejects(f([0, 8], [4, 4], 8), /tensor "b": data_offsets \[4, 4\] overlap tensor "a"/, 'b');
});

test('safetensors rejects: duplicate keys anywhere in the header (JSON.parse keeps the last silently)', () => {
  const w = '{"dtype":"U8","shape":[1],"data_offsets":[0,1]}';
  rejects(rawFile(`{"w":${w},"w":${w}}`, 1), /header has the key "w" twice at the top level/);
  rejects(rawFile(`{"w":${w},"\\u0077":${w}}`, 1), /header has the key "w" twice at the top level/); // same key, escaped
  rejects(rawFile(`{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}`, 1), /tensor "w": header has the key "dtype" twice in its entry/, 'w');
  rejects(rawFile(`{"__metadata__":{"a":"1","a":"2"},"w":${w}}`, 1), /header has the key "a" twice in "__metadata__"/);
  rejects(rawFile(`{"__metadata__":{},"__metadata__":{},"w":${w}}`, 1), /the key "__metadata__" twice/);
  // the same key in different objects is fine
  assert.equal(loadSafetensors(rawFile(`{"__metadata__":{"w":"x"},"w":${w}}`, 1)).metadata['w'], 'x');
});

test('safetensors rejects: metadata that is not a map of strings; BOOL bytes other than 0/1', () => {
  rejects(rawFile({ __metadata__: { a: 'x', b: true } }), /"__metadata__" value for "b" is true, not a string/);
  rejects(rawFile({ __metadata__: { a: { b: 'c' } } }), /value for "a" is an object, not a string/);
  rejects(rawFile({ __metadata__: null }), /"__metadata__" is null, not an object of strings/);
  rejects(rawFile({ __metadata__: ['x'] }), /"__metadata__" is an array/);
  const bools = rawFile({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([1, 0, 2]));
  assert.doesNotThrow(() => readSafetensorsHeader(bools)); // the header is fine; the data is not
  assert.throws(() => loadSafetensors(bools), /tensor "m": BOOL element 2 is the byte 2, not 0 or 1/);
});

test('safetensors rejects: error messages quote names safely and cut very long ones', () => {
  const long = 'x'.repeat(100_000);
  assert.throws(() => loadSafetensors(rawFile({ [long]: 5 })), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError);
    assert.ok(e.message.length < 300, `message is ${e.message.length} chars`);
    assert.equal(e.tensor, long); // the full name stays available to code
    return true;
  });
  rejects(rawFile({ 'a"\n': 1 }), /tensor "a\\"\\n": entry is 1/, 'a"\n');
});

test('safetensors save rejects bad input with the tensor and the value named', () => {
  saveRejects({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } }, /tensor "w": data has 5 elements but the shape holds 6/);
  saveRejects({ w: { dtype: 'F32', shape: [-1], data: [] } }, /tensor "w": shape\[0\] is -1, not a non-negative integer/);
  saveRejects({ w: { dtype: 'F32', shape: [1.5], data: [] } }, /shape\[0\] is 1.5/);
  saveRejects({ w: { dtype: 'X' as Dtype, shape: [1], data: [1] } }, /tensor "w": unknown dtype "X"/);
  saveRejects({ w: { dtype: 'I32', shape: [2], data: [1, 2 ** 31] } }, /tensor "w": element 1 is 2147483648, not a I32 integer in \[-2147483648, 2147483647\]/);
  saveRejects({ w: { dtype: 'U8', shape: [1], data: [0.5] } }, /element 0 is 0.5, not a U8 integer/);
  saveRejects({ w: { dtype: 'U8', shape: [1], data: [NaN] } }, /element 0 is NaN/);
  saveRejects({ w: { dtype: 'I64', shape: [1], data: [2 ** 53] } }, /element 0 is 9007199254740992, not a I64 value that is a safe integer; pass a BigInt64Array/);
  saveRejects({ w: { dtype: 'U64', shape: [1], data: [-1] } }, /not a U64 value/);
  saveRejects({ w: { dtype: 'F32', shape: [1], data: new BigInt64Array(1) } }, /F32 data cannot be a BigInt64Array/);
  saveRejects({ w: { dtype: 'F32', shape: [1], data: [true] } }, /element 0 is true, not a number/);
  saveRejects({ w: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 3]) } }, /BOOL element 1 is the byte 3/);
  saveRejects({ w: { dtype: 'BOOL', shape: [1], data: [2] } }, /element 0 is 2, not a boolean or 0\/1/);
  saveRejects({ w: { dtype: 'BOOL', shape: [1], data: new Int8Array(1) } }, /BOOL data must be a Uint8Array/);
  saveRejects({ __metadata__: { dtype: 'U8', shape: [0], data: [] } }, /"__metadata__" is reserved/);
  saveRejects({ 'a\ud800': { dtype: 'U8', shape: [0], data: [] } }, /lone UTF-16 surrogate/);
  saveRejects({}, /metadata "k" is a number, not a string/, { k: 1 as unknown as string });
  saveRejects({}, /metadata "k" contains a lone UTF-16 surrogate/, { k: '\udc00' });
  saveRejects({ w: null as unknown as TensorToSave }, /tensor "w": entry is null, not \{dtype, shape, data\}/);
  saveRejects({ w: { dtype: 'F32', shape: [1], data: 3 as unknown as number[] } }, /tensor "w": data is 3, not an array/);
});

// ---------------------------------------------------------------------------------------------
// fuzzing

test('safetensors fuzz: mutated files either load or throw SafetensorsError, never anything else', () => {
  const valid = saveSafetensors(
    {
      'layer.0.w': { dtype: 'F32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] },
      'layer.0.b': { dtype: 'F16', shape: [2], data: [0.5, -1] },
      ids: { dtype: 'I64', shape: [3], data: [1, 2, 3] },
      mask: { dtype: 'BOOL', shape: [4], data: [1, 0, 1, 1] },
      scale: { dtype: 'BF16', shape: [], data: [2] },
      none: { dtype: 'U16', shape: [0], data: [] },
    },
    { format: 'pt', note: 'fuzz' },
  );
  const headerEnd = readSafetensorsHeader(valid).dataStart;
  const r = new Rng(2024);
  let loaded = 0;
  let rejected = 0;
  const iterations = 5000;
  const t0 = performance.now();
  for (let it = 0; it < iterations; it++) {
    const b = valid.slice();
    let file: Uint8Array = b;
    const kind = r.int(6);
    const pos = r.next() < 0.8 ? r.int(headerEnd) : r.int(b.length); // mostly aim at the header
    if (kind === 0) b[pos] = b[pos]! ^ (1 << r.int(8));
    else if (kind === 1) b[pos] = r.int(256);
    else if (kind === 2) file = b.subarray(0, r.int(b.length));
    else if (kind === 3) b[pos] = '0123456789[]{},:"-.e '.charCodeAt(r.int(21));
    else if (kind === 4) file = concat(b.subarray(0, pos), b.subarray(pos + 1)); // delete a byte
    else for (let k = 0; k < 4; k++) b[r.int(b.length)] = r.int(256);
    try {
      const { tensors } = loadSafetensors(file);
      loaded++;
      // what loads must be consistent with its header
      const h = readSafetensorsHeader(file);
      for (const [name, info] of h.tensors) {
        const t = tensors.get(name)!;
        const n = info.shape.reduce((p, d) => p * d, 1);
        assert.equal(t.data.length, n, name);
      }
    } catch (e) {
      if (!(e instanceof SafetensorsError)) {
        throw new Error(`iteration ${it} (mutation ${kind} at ${pos}) threw ${String(e)}`);
      }
      rejected++;
    }
  }
  const ms = performance.now() - t0;
  assert.equal(loaded + rejected, iterations);
  assert.ok(loaded > 100 && rejected > 1000, `loaded ${loaded}, rejected ${rejected}`);
  assert.ok(ms < 15000, `fuzz took ${ms.toFixed(0)} ms`);
});
