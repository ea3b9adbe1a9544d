// The matmul reference: the transposed forms agree with explicit transposes, and backward (da,
// db, dbias, with batch sums for shared operands) is the vector-Jacobian product of forward
// (central finite differences in float64).
import { test } from 'node:test';
import * as ref from '../../src/reference/matmul';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';
import { fitRows } from '../../src/ops/matmul_kernel';
import assert from 'node:assert/strict';

const TOL = { atol: 1e-6, rtol: 1e-6 };

/** (rows, cols) row-major → (cols, rows). */
function transpose(x: ArrayLike<number>, rows: number, cols: number, batch = 1): Float64Array {
  const out = new Float64Array(batch * rows * cols);
  for (let z = 0; z < batch; z++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[z * rows * cols + c * rows + r] = x[z * rows * cols + r * cols + c]!;
  return out;
}

test('matmul reference: NT, TN and TT equal NN on explicitly transposed copies', () => {
  const [batch, M, K, N] = [2, 3, 5, 4];
  const a = toF64(randomArray(batch * M * K, 1, -1, 1)); // (batch, M, K)
  const b = toF64(randomArray(batch * K * N, 2, -1, 1)); // (batch, K, N)
  const want = ref.matmulForward(a, b, { batch, M, K, N });
  const at = transpose(a, M, K, batch);
  const bt = transpose(b, K, N, batch);
  assertClose(ref.matmulForward(a, bt, { batch, M, K, N, transB: true }), want, TOL, 'NT');
  assertClose(ref.matmulForward(at, b, { batch, M, K, N, transA: true }), want, TOL, 'TN');
  assertClose(ref.matmulForward(at, bt, { batch, M, K, N, transA: true, transB: true }), want, TOL, 'TT');
  // a shared b is the same as the batch repeating it
  const b0 = b.slice(0, K * N);
  const rep = new Float64Array(batch * K * N);
  for (let z = 0; z < batch; z++) rep.set(b0, z * K * N);
  assertClose(
    ref.matmulForward(a, b0, { batch, M, K, N, broadcastB: true }),
    ref.matmulForward(a, rep, { batch, M, K, N }),
    TOL,
    'broadcast b',
  );
});

const FORMS = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];

for (const f of FORMS) {
  for (const share of ['none', 'a', 'b'] as const) {
    const form = `${f.transA ? 'T' : 'N'}${f.transB ? 'T' : 'N'}`;
    test(`matmul reference backward matches finite differences (${form}, shared ${share}, with bias)`, () => {
      const d: ref.MatmulDims = {
        batch: 2,
        M: 3,
        K: 4,
        N: 5,
        ...f,
        broadcastA: share === 'a',
        broadcastB: share === 'b',
      };
      const sizeA = (share === 'a' ? 1 : d.batch) * d.M * d.K;
      const sizeB = (share === 'b' ? 1 : d.batch) * d.K * d.N;
      const a = toF64(randomArray(sizeA, 3, -2, 2));
      const b = toF64(randomArray(sizeB, 4, -2, 2));
      const bias = toF64(randomArray(d.N, 5, -1, 1));
      const dy = toF64(randomArray(d.batch * d.M * d.N, 6, -1, 1));
      const g = ref.matmulBackward(dy, a, b, d, bias);
      const what = `${form} shared ${share}`;
      assertClose(
        g.da,
        numericGrad((v) => dot(ref.matmulForward(v, b, d, bias), dy), a),
        TOL,
        `${what} da`,
      );
      assertClose(
        g.db,
        numericGrad((v) => dot(ref.matmulForward(a, v, d, bias), dy), b),
        TOL,
        `${what} db`,
      );
      assertClose(
        g.dbias!,
        numericGrad((v) => dot(ref.matmulForward(a, b, d, v), dy), bias),
        TOL,
        `${what} dbias`,
      );
    });
  }
}

test('matmul tiles: fitRows shrinks rm, then wgY, to the product’s rows; fixed rows are kept', () => {
  const t = { wgX: 8, wgY: 8, rm: 2, rn: 2, tk: 16 };
  const rows = (x: { rm: number; wgY: number }): number => 4 * x.rm * x.wgY;
  assert.deepEqual(fitRows(t, 1), { ...t, rm: 1, wgY: 1 });
  assert.equal(rows(fitRows(t, 5)), 8);
  assert.equal(rows(fitRows(t, 33)), 64, 'a product taller than half the tile keeps it');
  assert.equal(fitRows(t, 1000), t);
  assert.deepEqual(fitRows({ ...t, wgY: 1, rm: 8 }, 3), { ...t, wgY: 1, rm: 1 });
  assert.deepEqual(fitRows(t, 1, { rm: 2 }), { ...t, rm: 2, wgY: 1 });
  assert.deepEqual(fitRows(t, 1, { rm: 2, wgY: 8 }), t);
});
