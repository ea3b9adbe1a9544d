// The reduction references: every backward is the vector-Jacobian product of its forward
// (central finite differences); max ties and NaN follow the documented rule; clip scaling.
import { test } from 'node:test';
import * as ref from '../../src/reference/reduce';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assert, assertClose, assertEqual } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

const TOL = { atol: 1e-8, rtol: 1e-6 };
const R = 6;
const C = 7;

test('sum / mean over the last axis: backward matches finite differences', () => {
  const x = toF64(randomArray(R * C, 1, -2, 2));
  const dy = toF64(randomArray(R, 2, -1, 1));
  assertClose(
    ref.sumLastBackward(dy, R, C),
    numericGrad((v) => dot(ref.sumLastForward(v, R, C), dy), x),
    TOL,
    'sum dx',
  );
  assertClose(
    ref.meanLastBackward(dy, R, C),
    numericGrad((v) => dot(ref.meanLastForward(v, R, C), dy), x),
    TOL,
    'mean dx',
  );
});

test('sum over rows: backward matches finite differences', () => {
  const x = toF64(randomArray(R * C, 3, -2, 2));
  const dy = toF64(randomArray(C, 4, -1, 1));
  assertClose(
    ref.sumRowsBackward(dy, R, C),
    numericGrad((v) => dot(ref.sumRowsForward(v, R, C), dy), x),
    TOL,
    'dx',
  );
});

test('max over the last axis: backward matches finite differences (no ties)', () => {
  const x = toF64(randomArray(R * C, 5, -2, 2));
  const dy = toF64(randomArray(R, 6, -1, 1));
  const { indices } = ref.maxLastForward(x, R, C);
  const fd = numericGrad((v) => dot(ref.maxLastForward(v, R, C).values, dy), x);
  assertClose(ref.maxLastBackward(dy, indices, R, C), fd, TOL, 'dx');
});

test('max: first index on ties, NaN wins, -Infinity rows', () => {
  const r = ref.maxLastForward(
    [1, 3, 3, 0, /**/ 2, NaN, 5, NaN, /**/ -Infinity, -Infinity, -Infinity, -Infinity],
    3,
    4,
  );
  assertEqual(r.values[0], 3, 'tie value');
  assertEqual(r.indices[0], 1, 'tie index');
  assert(Number.isNaN(r.values[1]), 'NaN row value');
  assertEqual(r.indices[1], 1, 'NaN row index');
  assertEqual(r.values[2], -Infinity, '-Inf row value');
  assertEqual(r.indices[2], 0, '-Inf row index');
});

test('sumToShape: backward of broadcasting (finite differences of a broadcast-then-dot)', () => {
  const shape = [3, 1, 4];
  const gShape = [2, 3, 5, 4];
  const g = toF64(randomArray(2 * 3 * 5 * 4, 7, -1, 1));
  // f(x) = Σ g · broadcast(x): its gradient is sumToShape(g)
  const x = toF64(randomArray(12, 8, -1, 1));
  const f = (v: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < g.length; i++) {
      const c = i % 4;
      const b = Math.floor(i / 20) % 3;
      s += g[i]! * v[b * 4 + c]!;
    }
    return s;
  };
  assertClose(ref.sumToShape(g, gShape, shape), numericGrad(f, x), TOL, 'sumToShape');
});

test('global norm and clip scale', () => {
  const a = [3, 0];
  const b = [4];
  const n = ref.globalNorm([a, b]);
  assertEqual(n, 5, 'norm');
  const [ca, cb] = ref.clipScale([a, b], n, 1, 0);
  assertClose(ca!, [0.6, 0], TOL, 'clipped a');
  assertClose(cb!, [0.8], TOL, 'clipped b');
  assertClose(ref.clipScale([a], n, 10, 1e-6)[0]!, a, { atol: 0, rtol: 0 }, 'unclipped');
  assert(Number.isNaN(ref.clipScaleFactor(NaN, 1, 1e-6)), 'NaN norm gives NaN scale');
});
