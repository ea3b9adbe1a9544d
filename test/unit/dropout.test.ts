// The dropout reference: backward is the vector-Jacobian product of forward (finite differences).
import { test } from 'node:test';
import { dropoutForward, dropoutBackward } from '../../src/reference/dropout';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

test('dropout reference backward matches central finite differences', () => {
  const n = 37;
  const x = toF64(randomArray(n, 1, -2, 2));
  const dy = toF64(randomArray(n, 2, -1, 1));
  const f = (v: Float64Array): number => dot(dropoutForward(v, 0.4, 9, 3), dy);
  assertClose(dropoutBackward(dy, 0.4, 9, 3), numericGrad(f, x), { atol: 1e-7, rtol: 1e-6 }, 'dx');
});
