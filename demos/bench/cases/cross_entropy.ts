// cross_entropy_fwd_bwd: 4096 rows × 512 classes, integer targets: mean loss and dlogits.
// Ours: the fused pass (count → loss + dlogits in one read of the logits → mean). Peer:
// tf.losses.softmaxCrossEntropy on oneHot(targets) with its gradient from tf.valueAndGrad.
import type * as tfc from '@tensorflow/tfjs-core';
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import { crossEntropyFused } from '../../../src/ops/index';

const R = 4096;
const V = 512;

export const cases: BenchCase[] = [
  {
    name: 'cross_entropy_fwd_bwd',
    shape: `${R}x${V}`,
    // per element: max/exp/sum in the first read, exp/scale/subtract in the second
    flops: 8 * R * V,
    // logits read twice, dlogits written once, targets read twice, losses written and read
    bytes: 12 * R * V + 16 * R,
    async ours(ctx) {
      const logits = tensorFrom(ctx, gpu.randomArray(R * V, 1, -2, 2), [R, V]);
      const targets = tensorFrom(ctx, gpu.randomInts(R, V, 2), [R], 'i32');
      const out = {
        loss: emptyTensor(ctx, [1]),
        losses: emptyTensor(ctx, [R]),
        stats: emptyTensor(ctx, [2]),
        dlogits: emptyTensor(ctx, [R, V]),
      };
      return {
        async record(rec) {
          await crossEntropyFused(rec, logits, targets, {}, out);
        },
        dispose() {
          for (const t of [logits, targets, ...Object.values(out)]) t.release();
        },
      };
    },
    peer(tf) {
      const logits = tf.randomUniform([R, V], -2, 2, 'float32', 1);
      const targets = tf.tensor1d(gpu.randomInts(R, V, 2), 'int32');
      const lossAndGrad = tf.valueAndGrad(
        (x: tfc.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(targets, V), x) as tfc.Scalar,
      );
      return {
        run() {
          return tf.tidy(() => {
            const { value, grad } = lossAndGrad(logits);
            return [value, grad];
          });
        },
        dispose() {
          tf.dispose([logits, targets]);
        },
      };
    },
  },
];
