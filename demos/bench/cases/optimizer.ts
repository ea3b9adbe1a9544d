// optimizer_adamw and optimizer_sgd_momentum: one update step of a 1M-parameter tensor (lr and t
// change every step). Ours binds the dispatch once and replays it, as the executor does; the step
// scalars are one writeBuffer per step. TF.js has no AdamW, so the peer composes the same update
// from tfjs-core ops on variables (its tf.train.adam would do the same ops without weight decay).
import type { BenchCase } from '../case';
import { tensorFrom, gpu, type GpuContext } from '../../../src/index';
import { adamStepDispatch, sgdStepDispatch, StepScalars } from '../../../src/ops/index';

const N = 1 << 20;
const LR = 1e-3;
const WD = 0.01;

function bound(ctx: GpuContext, d: gpu.DispatchArgs | null): gpu.BoundDispatch {
  if (!d) throw new Error('optimizer bench: empty parameter');
  return gpu.bindDispatch(ctx, d);
}

export const cases: BenchCase[] = [
  {
    name: 'optimizer_adamw',
    shape: `${N}`,
    flops: 17 * N,
    bytes: 28 * N,
    async ours(ctx) {
      const p = tensorFrom(ctx, gpu.randomArray(N, 1), [N]);
      const g = tensorFrom(ctx, gpu.randomArray(N, 2), [N]);
      const m = tensorFrom(ctx, new Float32Array(N), [N]);
      const v = tensorFrom(ctx, new Float32Array(N), [N]);
      const sc = new StepScalars(ctx);
      const d = bound(ctx, await adamStepDispatch(ctx, p, g, m, v, sc, { weightDecay: WD }));
      let t = 0;
      return {
        async record(rec) {
          t++;
          sc.set(LR, t);
          rec.encode(d);
        },
        dispose() {
          for (const x of [p, g, m, v]) x.release();
          sc.release();
          if (d.uniformBuffer) ctx.pool.release(d.uniformBuffer);
        },
      };
    },
    peer(tf) {
      const p = tf.variable(tf.randomUniform([N], -1, 1, 'float32', 1));
      const g = tf.randomUniform([N], -1, 1, 'float32', 2);
      const m = tf.variable(tf.zeros([N]));
      const v = tf.variable(tf.zeros([N]));
      let t = 0;
      return {
        run() {
          t++;
          const sc = StepScalars.values(LR, t, 0.9, 0.999); // [lr, 1 − β1^t, 1 − β2^t, t]
          const bc1 = sc[1]!;
          const bc2 = sc[2]!;
          tf.tidy(() => {
            const m2 = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
            const v2 = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 0.001));
            const upd = tf.div(tf.mul(m2, LR / bc1), tf.add(tf.sqrt(tf.div(v2, bc2)), 1e-8));
            p.assign(tf.sub(tf.mul(p, 1 - LR * WD), upd));
            m.assign(m2);
            v.assign(v2);
          });
          return [];
        },
        dispose() {
          tf.dispose([p, g, m, v]);
        },
      };
    },
  },
  {
    name: 'optimizer_sgd_momentum',
    shape: `${N}`,
    flops: 9 * N,
    bytes: 20 * N,
    async ours(ctx) {
      const p = tensorFrom(ctx, gpu.randomArray(N, 1), [N]);
      const g = tensorFrom(ctx, gpu.randomArray(N, 2), [N]);
      const buf = tensorFrom(ctx, new Float32Array(N), [N]);
      const sc = new StepScalars(ctx);
      const d = bound(ctx, await sgdStepDispatch(ctx, p, g, buf, sc, { momentum: 0.9, weightDecay: WD }));
      let t = 0;
      return {
        async record(rec) {
          t++;
          sc.set(LR, t);
          rec.encode(d);
        },
        dispose() {
          for (const x of [p, g, buf]) x.release();
          sc.release();
          if (d.uniformBuffer) ctx.pool.release(d.uniformBuffer);
        },
      };
    },
    peer(tf) {
      const p = tf.variable(tf.randomUniform([N], -1, 1, 'float32', 1));
      const g = tf.randomUniform([N], -1, 1, 'float32', 2);
      const buf = tf.variable(tf.zeros([N]));
      return {
        run() {
          tf.tidy(() => {
            const d = tf.add(g, tf.mul(p, WD));
            const b2 = tf.add(tf.mul(buf, 0.9), d);
            p.assign(tf.sub(p, tf.mul(b2, LR)));
            buf.assign(b2);
          });
          return [];
        },
        dispose() {
          tf.dispose([p, g, buf]);
        },
      };
    },
  },
];
