// The layernorm reference: dx, dgamma and dbeta are the vector-Jacobian products of forward
// (central finite differences; mean and rstd are recomputed inside the perturbed forward).
import { test } from 'node:test';
import { layernormForward, layernormBackward } from '../../src/reference/layernorm';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

test('layernorm reference backward matches central finite differences', () => {
  const R = 4;
  const C = 7;
  const eps = 1e-5;
  const x = toF64(randomArray(R * C, 6, -2, 2));
  const gamma = toF64(randomArray(C, 7, -2, 2));
  const beta = toF64(randomArray(C, 8, -2, 2));
  const dy = toF64(randomArray(R * C, 9, -1, 1));
  const fwd = layernormForward(x, gamma, beta, R, C, eps);
  const g = layernormBackward(dy, x, gamma, fwd.mean, fwd.rstd, R, C);
  const tol = { atol: 1e-7, rtol: 1e-6 }; // central differences with h = 1e-6 in float64
  assertClose(
    g.dx,
    numericGrad((v) => dot(layernormForward(v, gamma, beta, R, C, eps).y, dy), x),
    tol,
    'dx',
  );
  assertClose(
    g.dgamma,
    numericGrad((v) => dot(layernormForward(x, v, beta, R, C, eps).y, dy), gamma),
    tol,
    'dgamma',
  );
  assertClose(
    g.dbeta,
    numericGrad((v) => dot(layernormForward(x, gamma, v, R, C, eps).y, dy), beta),
    tol,
    'dbeta',
  );
});

test('layernorm reference output has zero mean and unit variance before the affine map', () => {
  const R = 3;
  const C = 65;
  const ones = new Float64Array(C).fill(1);
  const { y } = layernormForward(randomArray(R * C, 10, -2, 2), ones, new Float64Array(C), R, C, 0);
  for (let r = 0; r < R; r++) {
    let s = 0;
    let q = 0;
    for (let j = 0; j < C; j++) {
      s += y[r * C + j]!;
      q += y[r * C + j]! ** 2;
    }
    assertClose([s / C, q / C], [0, 1], { atol: 1e-12, rtol: 1e-12 }, `row ${r} moments`);
  }
});
