// The permute reference: backward is the vector-Jacobian product of forward (finite differences).
import { test } from 'node:test';
import { permuteForward, permuteBackward } from '../../src/reference/permute';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

test('permute reference backward matches central finite differences', () => {
  const shape = [2, 3, 4];
  const perm = [1, 2, 0];
  const x = toF64(randomArray(24, 1, -2, 2));
  const dy = toF64(randomArray(24, 2, -1, 1));
  const f = (v: Float64Array): number => dot(permuteForward(v, shape, perm), dy);
  assertClose(permuteBackward(dy, shape, perm), numericGrad(f, x), { atol: 1e-8, rtol: 1e-6 }, 'dx');
});
