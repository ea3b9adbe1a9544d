// The elementwise references: every unary backward and the broadcasting binary backward are the
// vector-Jacobian products of their forwards (central finite differences), and NaN propagates.
import { test } from 'node:test';
import {
  unaryForward,
  unaryBackward,
  binaryForward,
  binaryBackward,
  UNARY_SAVES,
} from '../../src/reference/elementwise';
import type { UnaryOp, BinaryOp } from '../../src/reference/elementwise';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assert, assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';
import { PARAMS, UNARY } from '../harness/unary_cases';
import { numel } from '../../src/util/shape';

/** Inputs in the op's domain, kept away from the kinks at 0 so finite differences are valid. */
function inputs(op: UnaryOp, n: number, seed: number): Float64Array {
  const x = toF64(randomArray(n, seed, -2, 2));
  for (let i = 0; i < n; i++) {
    if (op === 'log' || op === 'sqrt') x[i] = 0.2 + Math.abs(x[i]!);
    else if (Math.abs(x[i]!) < 0.05) x[i] = 0.05 * Math.sign(x[i]! || 1);
  }
  return x;
}

for (const op of UNARY) {
  test(`${op} reference backward matches central finite differences`, () => {
    const n = 41;
    const p = PARAMS[op] ?? {};
    const x = inputs(op, n, 7);
    const dy = toF64(randomArray(n, 8, -1, 1));
    const y = unaryForward(op, x, p);
    const saved = UNARY_SAVES[op] === 'x' ? x : UNARY_SAVES[op] === 'y' ? y : null;
    const fd = numericGrad((v) => dot(unaryForward(op, v, p), dy), x);
    assertClose(unaryBackward(op, dy, saved, p), fd, { atol: 1e-7, rtol: 1e-6 }, `${op} dx`);
  });
}

test('unary references propagate NaN forward and backward', () => {
  for (const op of UNARY) {
    const y = unaryForward(op, [NaN, 1], PARAMS[op] ?? {});
    assert(Number.isNaN(y[0]), `${op}(NaN) = ${y[0]}`);
    if (op !== 'affine') {
      const dx = unaryBackward(op, [0.5, 0.5], [NaN, 1], PARAMS[op] ?? {});
      assert(Number.isNaN(dx[0]), `${op}' at NaN gives ${dx[0]}`);
    }
  }
});

test('gelu reference is the tanh approximation', () => {
  const y = unaryForward('gelu', [1, -1, 0]);
  assertClose(y, [0.8411919906082768, -0.15880800939172324, 0], { atol: 1e-15, rtol: 1e-12 }, 'gelu');
});

const CASES: [number[], number[]][] = [
  [[7], [7]],
  [[5, 6], [6]],
  [
    [5, 1],
    [1, 6],
  ],
  [
    [2, 3, 1, 4],
    [3, 5, 1],
  ],
  [[3, 4], []],
  [[1], [2, 3]],
];

for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
  for (const [sa, sb] of CASES) {
    test(`${op} reference backward matches finite differences ([${sa}] ∘ [${sb}])`, () => {
      const a = toF64(randomArray(numel(sa), 1, -2, 2));
      const b = toF64(randomArray(numel(sb), 2, 0.5, 2)); // away from 0 for div
      const { shape } = binaryForward(op, a, sa, b, sb);
      const dy = toF64(randomArray(numel(shape), 3, -1, 1));
      const { da, db } = binaryBackward(op, dy, a, sa, b, sb);
      const fa = numericGrad((v) => dot(binaryForward(op, v, sa, b, sb).out, dy), a);
      const fb = numericGrad((v) => dot(binaryForward(op, a, sa, v, sb).out, dy), b);
      assertClose(da, fa, { atol: 1e-7, rtol: 1e-6 }, 'da');
      assertClose(db, fb, { atol: 1e-7, rtol: 1e-6 }, 'db');
    });
  }
}
