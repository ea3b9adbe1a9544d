// softmax_fwd_bwd: softmax over rows of 256 (4096 rows), forward then backward from the saved y.
// Peer: tf.softmax with its gradient from tf.valueAndGrad (y and dx in one call, same dy).
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import { softmaxForward, softmaxBackward } from '../../../src/ops/index';

const R = 4096;
const C = 256;

export const cases: BenchCase[] = [
  {
    name: 'softmax_fwd_bwd',
    shape: `${R}x${C}`,
    // forward: scale, subtract, exp, add, multiply (+ max); backward: multiply-add for the dot, 3 for dx
    flops: 11 * R * C,
    // forward reads x and writes y; backward reads y and dy and writes dx
    bytes: 20 * R * C,
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(R * C, 1, -2, 2), [R, C]);
      const dy = tensorFrom(ctx, gpu.randomArray(R * C, 2, -1, 1), [R, C]);
      const y = emptyTensor(ctx, [R, C], 'f32', 'y');
      const dx = emptyTensor(ctx, [R, C], 'f32', 'dx');
      return {
        async record(rec) {
          await softmaxForward(rec, x, {}, y);
          await softmaxBackward(rec, dy, y, {}, dx);
        },
        dispose() {
          for (const t of [x, dy, y, dx]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([R, C], -2, 2, 'float32', 1);
      const dy = tf.randomUniform([R, C], -1, 1, 'float32', 2);
      const f = tf.valueAndGrad((v: typeof x) => tf.softmax(v));
      return {
        run() {
          const { value, grad } = f(x, dy);
          return [value, grad];
        },
        dispose() {
          tf.dispose([x, dy]);
        },
      };
    },
  },
];
