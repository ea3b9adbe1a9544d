// Safetensors files that must not load: every kind of malformed or hostile file fails with a
// SafetensorsError that names the problem, without large allocations; then a seeded fuzz loop
// over mutated files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_HEADER_BYTES,
  SafetensorsError,
  loadSafetensors,
  saveSafetensors,
  type Dtype,
  type TensorToSave,
} from '../../src/io/safetensors';
import { readSafetensorsHeader } from '../../src/io/safetensors_header';
import { Rng } from '../../src/util/prng';
import { concat, enc, rawFile, rejects, saveRejects, u64le } from '../harness/safetensors_bytes';

// ---------------------------------------------------------------------------------------------
// malformed and hostile files

const okEntry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

test('safetensors rejects: too short, header length past the cap or the file', () => {
  rejects(new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length field/);
  rejects(new Uint8Array(7), /file is 7 bytes/);
  rejects(
    concat(u64le(2n ** 64n - 1n), new Uint8Array(100)),
    /header length 18446744073709551615 is over the cap of 100000000 bytes/,
  );
  rejects(concat(u64le(MAX_HEADER_BYTES + 1), new Uint8Array(10)), /header length 100000001 is over the cap/);
  rejects(concat(u64le(100), enc.encode('{}')), /header length 100 runs past the end of the file: only 2 bytes follow/);
  rejects(rawFile({ w: okEntry }, 8), /header length \d+ is over the cap of 16 bytes/, undefined, {
    maxHeaderBytes: 16,
  });
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
  rejects(
    rawFile('{"a\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'),
    /tensor "a\\ud800": name contains a lone UTF-16 surrogate/,
    'a\ud800',
  );
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
  rejects(
    rawFile({ w: { ...okEntry, dtype: 'float32' } }, 8),
    /tensor "w": dtype "float32" is not a safetensors dtype \(supported: /,
    'w',
  );
  rejects(rawFile({ w: { ...okEntry, dtype: 'F8_E4M3' } }, 8), /dtype "F8_E4M3" is not supported by this reader/, 'w');
  rejects(rawFile({ w: { ...okEntry, shape: '2' } }, 8), /tensor "w": shape is "2", not an array/, 'w');
  rejects(
    rawFile({ w: { ...okEntry, shape: [2, '1'] } }, 8),
    /tensor "w": shape\[1\] is "1", not a non-negative integer/,
    'w',
  );
  rejects(rawFile({ w: { ...okEntry, shape: [[2]] } }, 8), /shape\[0\] is an array/, 'w');
  rejects(
    rawFile({ w: { ...okEntry, data_offsets: [0] } }, 8),
    /data_offsets is an array of length 1, not \[begin, end\]/,
    'w',
  );
  rejects(rawFile({ w: { ...okEntry, data_offsets: { 0: 0, 1: 8 } } }, 8), /data_offsets is an object/, 'w');
  rejects(rawFile({ w: { ...okEntry, data_offsets: [0, null] } }, 8), /data_offsets holds null/, 'w');
});

test('safetensors rejects: negative, fractional, exponent and unsafe numbers in shapes and offsets', () => {
  const e = (shape: string, offsets = '[0,8]'): Uint8Array =>
    rawFile(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}}`, 8);
  rejects(
    e('[-2]'),
    /tensor "w": header has the number -2 in "shape"; shapes and offsets must be plain non-negative integers/,
    'w',
  );
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
  rejects(
    rawFile({ w: { dtype: 'F32', shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 8] } }, 8),
    /tensor "w": shape \[67108864, 67108864, 67108864\] has more than 2\^53 - 1 elements/,
    'w',
  );
  // [huge, huge, 0] overflows before the 0, as the reference's checked fold does
  rejects(
    rawFile({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 0], data_offsets: [0, 0] } }),
    /has more than 2\^53 - 1 elements/,
    'w',
  );
  rejects(
    rawFile({ w: { dtype: 'F64', shape: [2 ** 51], data_offsets: [0, 8] } }, 8),
    /shape \[2251799813685248\] × F64 \(8 bytes\) is more than 2\^53 - 1 bytes/,
    'w',
  );
  rejects(
    rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
    /tensor "w": shape \[3\] × F32 \(4 bytes\) = 12 bytes, but data_offsets \[0, 8\] span 8 bytes/,
    'w',
  );
  rejects(
    rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8),
    /tensor "w": data_offsets \[8, 0\] has begin > end/,
    'w',
  );

  // a header that is self-consistent but claims 10^15 elements (4 PB) in a 100-byte file
  const hostile = rawFile({ w: { dtype: 'F32', shape: [1e15], data_offsets: [0, 4e15] } }, 100);
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  rejects(
    hostile,
    /tensor "w": data_offsets \[0, 4000000000000000\] run past the end of the 100-byte data section/,
    'w',
  );
  const ms = performance.now() - t0;
  assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'allocated a large buffer');
});

test('safetensors rejects: overlapping tensors, gaps, uncovered trailing bytes', () => {
  const f = (a: number[], b: number[], len: number): Uint8Array =>
    rawFile(
      {
        a: { dtype: 'U8', shape: [a[1]! - a[0]!], data_offsets: a },
        b: { dtype: 'U8', shape: [b[1]! - b[0]!], data_offsets: b },
      },
      len,
    );
  rejects(f([0, 6], [4, 8], 8), /tensor "b": data_offsets \[4, 8\] overlap tensor "a" at \[0, 6\]/, 'b');
  rejects(f([0, 8], [0, 8], 8), /data_offsets \[0, 8\] overlap tensor "a" at \[0, 8\]/, 'b');
  rejects(f([0, 4], [6, 8], 8), /bytes \[4, 6\) of the data section belong to no tensor \(a gap between "a" and "b"\)/);
  rejects(f([2, 4], [4, 8], 8), /bytes \[0, 2\) .* \(a gap at the start of the data section\)/);
  rejects(
    f([0, 4], [4, 8], 9),
    /the data section is 9 bytes but tensors cover only \[0, 8\): trailing bytes belong to no tensor/,
  );
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
  rejects(
    rawFile(`{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}`, 1),
    /tensor "w": header has the key "dtype" twice in its entry/,
    'w',
  );
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
  assert.throws(
    () => loadSafetensors(rawFile({ [long]: 5 })),
    (e: unknown) => {
      assert.ok(e instanceof SafetensorsError);
      assert.ok(e.message.length < 300, `message is ${e.message.length} chars`);
      assert.equal(e.tensor, long); // the full name stays available to code
      return true;
    },
  );
  rejects(rawFile({ 'a"\n': 1 }), /tensor "a\\"\\n": entry is 1/, 'a"\n');
});

test('safetensors save rejects bad input with the tensor and the value named', () => {
  saveRejects(
    { w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } },
    /tensor "w": data has 5 elements but the shape holds 6/,
  );
  saveRejects(
    { w: { dtype: 'F32', shape: [-1], data: [] } },
    /tensor "w": shape\[0\] is -1, not a non-negative integer/,
  );
  saveRejects({ w: { dtype: 'F32', shape: [1.5], data: [] } }, /shape\[0\] is 1.5/);
  saveRejects({ w: { dtype: 'X' as Dtype, shape: [1], data: [1] } }, /tensor "w": unknown dtype "X"/);
  saveRejects(
    { w: { dtype: 'I32', shape: [2], data: [1, 2 ** 31] } },
    /tensor "w": element 1 is 2147483648, not a I32 integer in \[-2147483648, 2147483647\]/,
  );
  saveRejects({ w: { dtype: 'U8', shape: [1], data: [0.5] } }, /element 0 is 0.5, not a U8 integer/);
  saveRejects({ w: { dtype: 'U8', shape: [1], data: [NaN] } }, /element 0 is NaN/);
  saveRejects(
    { w: { dtype: 'I64', shape: [1], data: [2 ** 53] } },
    /element 0 is 9007199254740992, not a I64 value that is a safe integer; pass a BigInt64Array/,
  );
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
  saveRejects(
    { w: { dtype: 'F32', shape: [1], data: 3 as unknown as number[] } },
    /tensor "w": data is 3, not an array/,
  );
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
    else if (kind === 4)
      file = concat(b.subarray(0, pos), b.subarray(pos + 1)); // delete a byte
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
