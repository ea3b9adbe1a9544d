// The cross-entropy reference: dlogits is the gradient of dloss · (mean loss) by central finite
// differences, with ignored rows; the edge conventions (all ignored → 0, bad target → NaN).
import { test } from 'node:test';
import { crossEntropyForward, crossEntropyBackward } from '../../src/reference/cross_entropy';
import { numericGrad, toF64 } from '../harness/fd';
import { assert, assertClose, assertEqual } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

const IGNORE = -100;

test('cross_entropy reference backward matches central finite differences of the mean loss', () => {
  const R = 6;
  const V = 5;
  const targets = [3, IGNORE, 0, 4, IGNORE, 1];
  const dloss = 0.37;
  const logits = toF64(randomArray(R * V, 3, -2, 2));
  logits[2 * V + 1] = 7; // a peaked row
  const f = (x: Float64Array): number => dloss * crossEntropyForward(x, targets, R, V, IGNORE).loss;
  const got = crossEntropyBackward(dloss, logits, targets, R, V, IGNORE);
  assertClose(got, numericGrad(f, logits), { atol: 1e-8, rtol: 1e-6 }, 'dlogits');
  for (const r of [1, 4]) for (let j = 0; j < V; j++) assertEqual(got[r * V + j], 0, `dlogits of ignored row ${r}`);
});

test('cross_entropy reference: count, all-ignored mean is 0, large logits, bad targets give NaN', () => {
  const V = 3;
  const all = crossEntropyForward([1, 2, 3, 4, 5, 6], [IGNORE, IGNORE], 2, V, IGNORE);
  assertEqual(all.loss, 0, 'mean over no counted rows');
  assertEqual(all.count, 0, 'count');
  const big = crossEntropyForward([80, 0, -80], [0], 1, V, IGNORE);
  assert(Math.abs(big.loss - Math.log1p(Math.exp(-80) + Math.exp(-160))) < 1e-12, `stable loss ${big.loss}`);
  const bad = crossEntropyForward([0, 0, 0, 0, 0, 0], [1, 3], 2, V, IGNORE);
  assert(Number.isNaN(bad.losses[1]!) && Number.isNaN(bad.loss) && bad.count === 2, 'target 3 of V=3 flags NaN');
  const g = crossEntropyBackward(1, [0, 0, 0, 0, 0, 0], [1, -1], 2, V, IGNORE);
  assert(
    g.slice(3).every(Number.isNaN) && !g.slice(0, 3).some(Number.isNaN),
    'bad target row of dlogits is NaN, others finite',
  );
});
