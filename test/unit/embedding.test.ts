// The embedding reference: dtable is the vector-Jacobian product of the gather (finite
// differences), repeated ids sum, out-of-range ids gather NaN and contribute nothing.
import { test } from 'node:test';
import { embeddingForward, embeddingBackward } from '../../src/reference/embedding';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assert, assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

test('embedding reference backward matches central finite differences', () => {
  const V = 5;
  const D = 3;
  const ids = [4, 1, 4, 0, 4, 1, 2];
  const table = toF64(randomArray(V * D, 5, -1, 1));
  const dout = toF64(randomArray(ids.length * D, 6, -1, 1));
  const f = (t: Float64Array): number => dot(embeddingForward(t, ids, V, D), dout);
  assertClose(embeddingBackward(dout, ids, V, D), numericGrad(f, table), { atol: 1e-8, rtol: 1e-6 }, 'dtable');
});

test('embedding reference: out-of-range ids gather NaN and are skipped by backward', () => {
  const out = embeddingForward([1, 2, 3, 4], [1, 2, -1], 2, 2);
  assert(
    out[0] === 3 && out[1] === 4 && [2, 3, 4, 5].every((i) => Number.isNaN(out[i]!)),
    `gather ${Array.from(out).join(',')}`,
  );
  const dt = embeddingBackward([1, 1, 10, 10, 100, 100], [1, 5, 1], 2, 2);
  assert(dt[0] === 0 && dt[1] === 0 && dt[2] === 101 && dt[3] === 101, `dtable ${Array.from(dt).join(',')}`);
});
