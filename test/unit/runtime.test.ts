// Pure-TS checks of the runtime: reflection (bindings, uniform layout, workgroup size, overrides
// through helper calls), uniform packing errors, shader includes and line mapping, pool size
// classes, grid splitting, broadcasting rules and the counter-based PRNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reflectEntry, resolveWorkgroupSize, packUniforms } from '../../src/gpu/reflect';
import { registerShaderSources, shaderSource, mapLine } from '../../src/gpu/shaders';
import { sizeClass } from '../../src/gpu/pool';
import { splitGrid } from '../../src/gpu/recorder';
import { broadcastShapes, broadcastStrides } from '../../src/util/shape';
import { hash3, streamKey, hashKey, uniform01, Rng } from '../../src/util/prng';
import { LimitError, ShapeError } from '../../src/util/errors';

const WGSL = `
override WG: u32 = 64;
override USE_BIAS: bool = false;
struct Params { n: u32, alpha: f32, m: i32, v: vec4<f32>, arr: array<vec4<u32>, 2> };
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(0) var<storage, read> x: array<f32>;
fn helper(i: u32) -> f32 { if (USE_BIAS) { return 1.0; } return x[i]; }
@compute @workgroup_size(WG, 2, 1)
fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < params.n) { y[g.x] = helper(g.x) * params.alpha; } }
`;

test('reflection gives sorted bindings with access, the uniform layout and the workgroup size', () => {
  const e = reflectEntry(WGSL, 'main');
  assert.deepEqual(
    e.bindings.map((b) => [b.name, b.binding, b.kind]),
    [
      ['x', 0, 'read-only-storage'],
      ['y', 1, 'storage'],
      ['params', 2, 'uniform'],
    ],
  );
  assert.ok(e.uniform);
  assert.equal(e.uniform.size, 64);
  assert.deepEqual(
    [...e.uniform.fields.values()].map((f) => [f.name, f.offset, f.scalar, f.components]),
    [
      ['n', 0, 'u32', 1],
      ['alpha', 4, 'f32', 1],
      ['m', 8, 'i32', 1],
      ['v', 16, 'f32', 4],
      ['arr', 32, 'u32', 8],
    ],
  );
  assert.deepEqual(resolveWorkgroupSize(e, {}), [64, 2, 1]);
  assert.deepEqual(resolveWorkgroupSize(e, { WG: 128 }), [128, 2, 1]);
  assert.ok(e.overrides.has('USE_BIAS'), 'override used only inside a helper function is found');
  assert.throws(() => reflectEntry(WGSL, 'nope'), /no compute entry point "nope"/);
});

test('uniform packing writes by name and rejects unknown, missing and negative-u32 fields', () => {
  const u = reflectEntry(WGSL, 'main').uniform!;
  const buf = packUniforms(u, { n: 7, alpha: 0.5, m: -3, v: [1, 2, 3, 4], arr: [1, 2, 3, 4, 5, 6, 7, 8] }, 't');
  const dv = new DataView(buf);
  assert.equal(dv.getUint32(0, true), 7);
  assert.equal(dv.getFloat32(4, true), 0.5);
  assert.equal(dv.getInt32(8, true), -3);
  assert.equal(dv.getFloat32(28, true), 4);
  assert.equal(dv.getUint32(60, true), 8);
  assert.throws(
    () => packUniforms(u, { n: 1, alpha: 1, m: 0, v: [], arr: [], bogus: 1 }, 'op'),
    /uniform field "bogus" does not exist/,
  );
  assert.throws(() => packUniforms(u, { n: 1, m: 0, v: [], arr: [] }, 'op'), /"alpha" of params was not given/);
  assert.throws(() => packUniforms(u, { n: -1, alpha: 1, m: 0, v: [], arr: [] }, 'op'), /is u32 but got -1/);
  assert.throws(
    () => packUniforms(u, { n: 1, alpha: 1, m: 0, v: [1, 2, 3, 4, 5], arr: [] }, 'op'),
    /takes 4 values, got 5/,
  );
});

test('shader includes are prepended once and errors map back to file and line', () => {
  registerShaderSources({
    lib: 'fn one() -> f32 { return 1.0; }\nfn two() -> f32 { return 2.0; }\n',
    k: '//!include lib.wgsl\n//!include lib.wgsl\n@compute @workgroup_size(1, 1, 1) fn main() {}\n',
  });
  const s = shaderSource('k');
  assert.equal(s.code.split('fn one').length, 2, 'lib included once');
  assert.deepEqual(mapLine(s, 1, 0), { file: 'shaders/lib.wgsl', line: 1 });
  assert.deepEqual(mapLine(s, 5, 0), { file: 'shaders/k.wgsl', line: 3 });
  assert.deepEqual(mapLine(s, 6, 1), { file: 'shaders/k.wgsl', line: 3 });
  assert.throws(() => shaderSource('missing'), /no shader shaders\/missing.wgsl/);
  registerShaderSources({ bad: '//!include nothere.wgsl\n' });
  assert.throws(() => shaderSource('bad'), /includes nothere.wgsl, which does not exist/);
});

test('pool size classes cover the request and waste at most 12.5% above 4 KiB', () => {
  let prev = 0;
  for (let b = 1; b < 1 << 22; b = Math.ceil(b * 1.37) + 3) {
    const c = sizeClass(b);
    assert.ok(c >= b && c % 16 === 0, `class ${c} for ${b}`);
    if (b > 4096) assert.ok(c <= b * 1.125 + 16, `class ${c} wastes too much for ${b}`);
    assert.ok(c >= prev, 'monotonic');
    prev = c;
  }
});

test('flat grids split over x and y; explicit grids past the limit are rejected naming it', () => {
  assert.deepEqual(splitGrid('op', 10, 65535), [10, 1, 1]);
  const [x, y] = splitGrid('op', 200000, 65535);
  assert.ok(x <= 65535 && y <= 65535 && x * y >= 200000 && x * (y - 1) < 200000);
  assert.throws(
    () => splitGrid('matmul', [70000, 1, 1], 65535),
    (e: Error) => e instanceof LimitError && /matmul: .*maxComputeWorkgroupsPerDimension = 65535/.test(e.message),
  );
});

test('broadcasting follows NumPy and names the op and both shapes on failure', () => {
  assert.deepEqual(broadcastShapes('add', [45, 1], [1, 65]), [45, 65]);
  assert.deepEqual(broadcastShapes('add', [3, 4, 5], [5]), [3, 4, 5]);
  assert.deepEqual(broadcastStrides([4, 1], [3, 4, 5]), [0, 1, 0]);
  assert.throws(
    () => broadcastShapes('add', [2, 3], [4, 3]),
    (e: Error) => e instanceof ShapeError && /add: shapes \[2, 3\] and \[4, 3\] do not broadcast/.test(e.message),
  );
});

test('the counter-based PRNG is reproducible, keyed consistently and roughly uniform', () => {
  assert.equal(hash3(1, 2, 3), hashKey(streamKey(1, 2), 3));
  assert.equal(hash3(1, 2, 3), hash3(1, 2, 3));
  assert.notEqual(hash3(1, 2, 3), hash3(1, 2, 4));
  let sum = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) sum += uniform01(5, 0, i);
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
  const a = new Rng(9);
  const b = new Rng(9);
  for (let i = 0; i < 10; i++) assert.equal(a.nextU32(), b.nextU32());
});
