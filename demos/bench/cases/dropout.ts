// dropout_fwd_bwd: 1M elements, p = 0.1 (forward then backward).
import type { BenchCase } from '../case';
import { tensorFrom, gpu } from '../../../src/index';
import { dropoutForward, dropoutBackward } from '../../../src/ops/index';

const N = 1 << 20;

export const cases: BenchCase[] = [
  {
    name: 'dropout_fwd_bwd',
    shape: `${N}`,
    flops: 2 * N,
    bytes: 16 * N,
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(N, 1), [N]);
      const dy = tensorFrom(ctx, gpu.randomArray(N, 2), [N]);
      const y = tensorFrom(ctx, new Float32Array(N), [N]);
      const dx = tensorFrom(ctx, new Float32Array(N), [N]);
      let step = 0;
      return {
        async record(rec) {
          step++;
          await dropoutForward(rec, x, { p: 0.1, seed: 1, step }, y);
          await dropoutBackward(rec, dy, { p: 0.1, seed: 1, step }, dx);
        },
        dispose() {
          for (const t of [x, dy, y, dx]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([N], -1, 1, 'float32', 1);
      const dy = tf.randomUniform([N], -1, 1, 'float32', 2);
      let step = 0;
      return {
        run() {
          step++;
          // TF.js has no fused dropout op on webgpu; the mask is drawn with randomUniform as tf.dropout does.
          return tf.tidy(() => {
            const keep = tf.div(
              tf.cast(tf.greaterEqual(tf.randomUniform([N], 0, 1, 'float32', step), 0.1), 'float32'),
              0.9,
            );
            return [tf.mul(x, keep), tf.mul(dy, keep)];
          });
        },
        dispose() {
          tf.dispose([x, dy]);
        },
      };
    },
  },
];
