// attention_fwd_bwd: causal multi-head attention, B=4 H=4 T=256 d=32, forward then backward
// (dQ, dK, dV) from a random upstream gradient. Peer: the explicit matmul–mask–softmax–matmul
// in TF.js and its composed backward (the page's tfjs-core registers no gradients, so tf.grads
// cannot differentiate it): dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
// dQ = scale·dS·K, dK = scale·dSᵀ·Q.
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import { attentionForward, attentionBackward, type AttentionOptions } from '../../../src/ops/index';

const B = 4;
const H = 4;
const T = 256;
const D = 32;
const PAIRS = B * H * ((T * (T + 1)) / 2); // visible (query, key) pairs under the causal mask
const N = B * H * T * D;

export const cases: BenchCase[] = [
  {
    name: 'attention_fwd_bwd',
    shape: `B${B} H${H} T${T} d${D} causal`,
    // forward: Q·Kᵀ and P·V (4d per pair); backward: dV, dP, dQ, dK (8d per pair), the explicit
    // computation's count (our kernels also recompute Q·Kᵀ and dO·Vᵀ in the dK/dV pass)
    flops: 12 * D * PAIRS,
    // forward reads q, k, v, writes out, lse; backward reads q, k, v, out, dout, lse, writes dq, dk, dv
    bytes: 4 * (13 * N + 2 * B * H * T),
    async ours(ctx) {
      const shape = [B, H, T, D];
      const [q, k, v, dout] = [1, 2, 3, 4].map((seed) => tensorFrom(ctx, gpu.randomArray(N, seed, -1, 1), shape));
      const out = emptyTensor(ctx, shape, 'f32', 'out');
      const lse = emptyTensor(ctx, [B, H, T], 'f32', 'lse');
      const stats = emptyTensor(ctx, [B, H, T, 2], 'f32', 'stats');
      const [dq, dk, dv] = ['dq', 'dk', 'dv'].map((n) => emptyTensor(ctx, shape, 'f32', n));
      const o: AttentionOptions = { causal: true };
      return {
        async record(rec) {
          await attentionForward(rec, q!, k!, v!, o, { out, lse });
          await attentionBackward(rec, dout!, q!, k!, v!, out, lse, o, { dq, dk, dv, stats });
        },
        dispose() {
          for (const t of [q, k, v, dout, out, lse, stats, dq, dk, dv]) t!.release();
        },
      };
    },
    peer(tf) {
      const [q, k, v, dout] = [1, 2, 3, 4].map((seed) => tf.randomUniform([B, H, T, D], -1, 1, 'float32', seed));
      const scale = 1 / Math.sqrt(D);
      // additive causal mask: −1e9 above the diagonal
      const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
      return {
        run() {
          return tf.tidy(() => {
            const p = tf.softmax(tf.add(tf.mul(tf.matMul(q!, k!, false, true), scale), mask));
            const out = tf.matMul(p, v!);
            const dv = tf.matMul(p, dout!, true, false);
            const dp = tf.matMul(dout!, v!, false, true);
            const ds = tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true)));
            const dq = tf.mul(tf.matMul(ds, k!), scale);
            const dk = tf.mul(tf.matMul(ds, q!, true, false), scale);
            return [out, dq, dk, dv];
          });
        },
        dispose() {
          tf.dispose([q!, k!, v!, dout!, mask]);
        },
      };
    },
  },
];
