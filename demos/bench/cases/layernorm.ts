// layernorm_fwd_bwd: layernorm over rows of 256 (4096 rows), forward (y, saving mean and rstd)
// then backward (dx, dgamma, dbeta). Peer: the same composed from tfjs-core ops (tf.moments,
// rsqrt, …), differentiated by tf.valueAndGrads with the same upstream gradient.
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import { layernormForward, layernormBackward, layernormWorkspaceShape } from '../../../src/ops/index';

const R = 4096;
const C = 256;
const EPS = 1e-5;

export const cases: BenchCase[] = [
  {
    name: 'layernorm_fwd_bwd',
    shape: `${R}x${C}`,
    // forward ~8 per element (mean, variance, normalise, affine); backward ~12 (dx) + ~5 (dgamma, dbeta)
    flops: 25 * R * C,
    // forward reads x, writes y; backward reads dy and x twice (dx pass, column pass), writes dx
    bytes: 4 * 7 * R * C,
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(R * C, 1, -2, 2), [R, C]);
      const gamma = tensorFrom(ctx, gpu.randomArray(C, 2, -2, 2), [C]);
      const beta = tensorFrom(ctx, gpu.randomArray(C, 3, -2, 2), [C]);
      const dy = tensorFrom(ctx, gpu.randomArray(R * C, 4, -1, 1), [R, C]);
      const fwd = {
        y: emptyTensor(ctx, [R, C], 'f32', 'y'),
        mean: emptyTensor(ctx, [R], 'f32', 'mean'),
        rstd: emptyTensor(ctx, [R], 'f32', 'rstd'),
      };
      const bwd = {
        dx: emptyTensor(ctx, [R, C], 'f32', 'dx'),
        dgamma: emptyTensor(ctx, [C], 'f32', 'dgamma'),
        dbeta: emptyTensor(ctx, [C], 'f32', 'dbeta'),
        workspace: emptyTensor(ctx, layernormWorkspaceShape(R, C), 'f32', 'workspace'),
      };
      return {
        async record(rec) {
          await layernormForward(rec, x, gamma, beta, { eps: EPS }, fwd);
          await layernormBackward(rec, dy, x, gamma, fwd.mean, fwd.rstd, { eps: EPS }, bwd);
        },
        dispose() {
          for (const t of [x, gamma, beta, dy, ...Object.values(fwd), ...Object.values(bwd)]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([R, C], -2, 2, 'float32', 1);
      const gamma = tf.randomUniform([C], -2, 2, 'float32', 2);
      const beta = tf.randomUniform([C], -2, 2, 'float32', 3);
      const dy = tf.randomUniform([R, C], -1, 1, 'float32', 4);
      const f = tf.valueAndGrads((xv: typeof x, g: typeof x, b: typeof x) => {
        const { mean, variance } = tf.moments(xv, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(xv, mean), tf.rsqrt(tf.add(variance, EPS))), g), b);
      });
      return {
        run() {
          const { value, grads } = f([x, gamma, beta], dy);
          return [value, ...grads];
        },
        dispose() {
          tf.dispose([x, gamma, beta, dy]);
        },
      };
    },
  },
];
