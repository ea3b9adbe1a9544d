// Safetensors I/O: round trips of every dtype and the exact byte layout of small files written by
// hand from the format spec. Malformed files: safetensors_reject.test.ts; 16-bit floats: half.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DTYPES,
  SafetensorsError,
  loadSafetensors,
  saveSafetensors,
  type Dtype,
  type TensorToSave,
} from '../../src/io/safetensors';
import { readSafetensorsHeader } from '../../src/io/safetensors_header';
import { concat, enc, f32le, u64le } from '../harness/safetensors_bytes';

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
    F64: 'Float64Array',
    F32: 'Float32Array',
    F16: 'Float32Array',
    BF16: 'Float32Array',
    I64: 'Float64Array',
    U64: 'Float64Array',
    I32: 'Int32Array',
    U32: 'Uint32Array',
    I16: 'Int16Array',
    U16: 'Uint16Array',
    I8: 'Int8Array',
    U8: 'Uint8Array',
    BOOL: 'Uint8Array',
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
  assert.throws(
    () => loadSafetensors(saveSafetensors({ big: { dtype: 'I64', shape: [3], data: big } })),
    (e: unknown) =>
      e instanceof SafetensorsError &&
      e.tensor === 'big' &&
      /tensor "big": element 0 is -9223372036854775808, beyond ±\(2\^53 - 1\); load with \{ int64: 'bigint' \}/.test(
        e.message,
      ),
  );
  assert.throws(
    () => loadSafetensors(saveSafetensors({ u: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 53n]) } })),
    /tensor "u": element 0 is 9007199254740992, beyond/,
  );
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
    { format: 'pt', ['__proto__']: 'kept', ключ: 'значение "quoted" \\ \n' },
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
  const got = saveSafetensors({
    'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) },
  });
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
