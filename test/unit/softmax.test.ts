// The softmax reference: backward is the vector-Jacobian product of forward (central finite
// differences), with and without the causal mask, for a non-unit scale.
import { test } from 'node:test';
import { softmaxForward, softmaxBackward } from '../../src/reference/softmax';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assert, assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

for (const causal of [false, true]) {
  test(`softmax reference backward matches central finite differences (causal=${causal})`, () => {
    const R = 10;
    const C = 5; // causal: rows are two (5, 5) blocks
    const a = { scale: 0.7, causal };
    const x = toF64(randomArray(R * C, 3, -2, 2));
    const dy = toF64(randomArray(R * C, 4, -1, 1));
    const f = (v: Float64Array): number => dot(softmaxForward(v, R, C, a), dy);
    const y = softmaxForward(x, R, C, a);
    assertClose(softmaxBackward(dy, y, R, C, a), numericGrad(f, x), { atol: 1e-8, rtol: 1e-6 }, 'dx');
  });
}

test('softmax reference rows sum to 1 and masked elements are 0', () => {
  const R = 6;
  const C = 3;
  const y = softmaxForward(randomArray(R * C, 5, -2, 2), R, C, { scale: -1.5, causal: true });
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let j = 0; j < C; j++) {
      s += y[r * C + j]!;
      if (j > r % C) assert(y[r * C + j] === 0, `row ${r} element ${j} is masked but ${y[r * C + j]}`);
    }
    assert(Math.abs(s - 1) < 1e-12, `row ${r} sums to ${s}`);
  }
});
