// gelu_fwd_bwd: gelu on 1M elements, forward then backward from the saved x.
// sum_rows: the bias gradient of a (4096, 768) activation, Σ over rows → (768).
// mean_last: the mean of each row of (4096, 768).
// add_bias_fwd_bwd: (4096, 768) + (768) forward, then both gradients (db sums over rows).
// Peer: TF.js has no gelu kernel, so gelu and its derivative are composed from tfjs-core ops (the
// page registers no gradients, so tf.grad cannot be used); tf.sum(x, 0) for sum_rows.
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import {
  binaryBackward,
  binaryForward,
  unaryBackward,
  unaryForward,
  meanLastForward,
  sumRowsForward,
} from '../../../src/ops/index';

const N = 1 << 20;
const R = 4096;
const C = 768;

export const cases: BenchCase[] = [
  {
    name: 'gelu_fwd_bwd',
    shape: `${N}`,
    // forward ~10 flops (cube, polynomial, exp, divide, multiply), backward ~16
    flops: 26 * N,
    // forward reads x, writes y; backward reads x and dy, writes dx
    bytes: 20 * N,
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(N, 1, -3, 3), [N]);
      const dy = tensorFrom(ctx, gpu.randomArray(N, 2, -1, 1), [N]);
      const y = emptyTensor(ctx, [N], 'f32', 'y');
      const dx = emptyTensor(ctx, [N], 'f32', 'dx');
      return {
        async record(rec) {
          await unaryForward(rec, 'gelu', x, {}, y);
          await unaryBackward(rec, 'gelu', dy, x, {}, dx);
        },
        dispose() {
          for (const t of [x, dy, y, dx]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([N], -3, 3, 'float32', 1);
      const dy = tf.randomUniform([N], -1, 1, 'float32', 2);
      const k = Math.sqrt(2 / Math.PI);
      return {
        run() {
          return tf.tidy(() => {
            // y = ½x(1 + tanh u), u = k(x + 0.044715x³)
            const x2 = tf.square(x);
            const t = tf.tanh(tf.mul(tf.mul(x, tf.add(tf.mul(x2, 0.044715), 1)), k));
            const onePlusT = tf.add(t, 1);
            const y = tf.mul(tf.mul(x, onePlusT), 0.5);
            // dx = dy·(½(1 + t) + ½x(1 − t²)·k(1 + 3·0.044715x²))
            const du = tf.mul(tf.add(tf.mul(x2, 3 * 0.044715), 1), k);
            const d = tf.add(tf.mul(onePlusT, 0.5), tf.mul(tf.mul(tf.mul(x, tf.sub(1, tf.square(t))), du), 0.5));
            return [y, tf.mul(dy, d)];
          });
        },
        dispose() {
          tf.dispose([x, dy]);
        },
      };
    },
  },
  {
    name: 'sum_rows',
    shape: `${R}x${C}`,
    flops: R * C,
    // reads x once (the partial passes add ~2% more)
    bytes: 4 * (R * C + C),
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(R * C, 3, -1, 1), [R, C]);
      const out = emptyTensor(ctx, [C], 'f32', 'out');
      return {
        async record(rec) {
          await sumRowsForward(rec, x, out);
        },
        dispose() {
          for (const t of [x, out]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([R, C], -1, 1, 'float32', 3);
      return {
        run() {
          return [tf.sum(x, 0)];
        },
        dispose() {
          tf.dispose([x]);
        },
      };
    },
  },
  {
    name: 'mean_last',
    shape: `${R}x${C}`,
    flops: R * C,
    bytes: 4 * (R * C + R),
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(R * C, 4, -1, 1), [R, C]);
      const out = emptyTensor(ctx, [R], 'f32', 'out');
      return {
        async record(rec) {
          await meanLastForward(rec, x, out);
        },
        dispose() {
          for (const t of [x, out]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([R, C], -1, 1, 'float32', 4);
      return {
        run() {
          return [tf.mean(x, -1)];
        },
        dispose() {
          tf.dispose([x]);
        },
      };
    },
  },
  {
    name: 'add_bias_fwd_bwd',
    shape: `${R}x${C}+${C}`,
    flops: 2 * R * C,
    // forward reads x and writes y; backward copies dy into da and sums it over rows into db
    bytes: 4 * (4 * R * C + 2 * C),
    async ours(ctx) {
      const x = tensorFrom(ctx, gpu.randomArray(R * C, 5, -1, 1), [R, C]);
      const b = tensorFrom(ctx, gpu.randomArray(C, 6, -1, 1), [C]);
      const dy = tensorFrom(ctx, gpu.randomArray(R * C, 7, -1, 1), [R, C]);
      const y = emptyTensor(ctx, [R, C], 'f32', 'y');
      return {
        async record(rec) {
          await binaryForward(rec, 'add', x, b, y);
          const g = await binaryBackward(rec, 'add', dy, x, b);
          g.da.release();
          g.db.release();
        },
        dispose() {
          for (const t of [x, b, dy, y]) t.release();
        },
      };
    },
    peer(tf) {
      const x = tf.randomUniform([R, C], -1, 1, 'float32', 5);
      const b = tf.randomUniform([C], -1, 1, 'float32', 6);
      const dy = tf.randomUniform([R, C], -1, 1, 'float32', 7);
      return {
        run() {
          // the gradients of x + b: dx = dy (TF.js returns dy itself, no copy), db = Σ_rows dy
          return [tf.add(x, b), tf.sum(dy, 0)];
        },
        dispose() {
          tf.dispose([x, b, dy]);
        },
      };
    },
  },
];
