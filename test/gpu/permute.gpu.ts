// permute against its float64 reference on odd shapes of rank 1 to 4, and its backward.
import { test } from '../harness/gpu';
import { assertClose } from '../harness/assert';
import { runOps, upload } from '../harness/util';
import { permuteForward, permuteBackward } from '../../src/ops/permute';
import * as ref from '../../src/reference/permute';
import { randomArray } from '../../src/util/prng';
import { ShapeError } from '../../src/util/errors';

const EXACT = { atol: 0, rtol: 0 }; // a permutation moves values without arithmetic

const cases: [number[], number[]][] = [
  [[7], [0]],
  [
    [45, 65],
    [1, 0],
  ],
  [
    [3, 7, 5],
    [2, 0, 1],
  ],
  [
    [2, 9, 3, 5],
    [0, 2, 1, 3],
  ],
  [
    [1, 13, 4, 8],
    [0, 2, 1, 3],
  ],
];

for (const [shape, perm] of cases) {
  test(`permute [${shape}] by [${perm}] and back`, async ({ ctx }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = randomArray(n, n, -2, 2);
    const outShape = perm.map((p) => shape[p]!);
    const dys = randomArray(n, n + 1, -1, 1);
    const out = await runOps(ctx, async (rec) => ({
      y: await permuteForward(rec, upload(ctx, xs, shape), perm),
      dx: await permuteBackward(rec, upload(ctx, dys, outShape), perm),
    }));
    assertClose(out.y, ref.permuteForward(xs, shape, perm), EXACT, 'y');
    assertClose(out.dx, ref.permuteBackward(dys, shape, perm), EXACT, 'dx');
  });
}

test('permute rejects a bad permutation before dispatch', async ({ ctx }) => {
  const x = upload(ctx, new Float32Array(6), [2, 3]);
  let msg = '';
  try {
    await runOps(ctx, async (rec) => ({ y: await permuteForward(rec, x, [0, 0]) }));
  } catch (e) {
    if (e instanceof ShapeError) msg = e.message;
  }
  if (!/permute: perm \[0, 0\] is not a permutation of the 2 axes of \[2, 3\]/.test(msg))
    throw new Error(`wrong or no error: ${msg}`);
  x.release();
});
