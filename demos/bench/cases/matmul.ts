// matmul rows: square forward products (256, 512, 1024) and the NT form of a Linear layer,
// y = x·Wᵀ with W stored (out, in) = (512, 128) and x of 2048 rows. Napkin counts: 2·M·N·K flops;
// bytes = each operand read once and the output written once (4 bytes per element).
import type { BenchCase } from '../case';
import { emptyTensor, tensorFrom, gpu } from '../../../src/index';
import { matmulForward } from '../../../src/ops/index';

function product(name: string, M: number, K: number, N: number, transB: boolean): BenchCase {
  return {
    name,
    shape: `${M}x${K}x${N}${transB ? ' (b stored NxK)' : ''}`,
    flops: 2 * M * N * K,
    bytes: 4 * (M * K + K * N + M * N),
    async ours(ctx) {
      const a = tensorFrom(ctx, gpu.randomArray(M * K, 1, -1, 1), [M, K]);
      const b = tensorFrom(ctx, gpu.randomArray(K * N, 2, -1, 1), transB ? [N, K] : [K, N]);
      const out = emptyTensor(ctx, [M, N], 'f32', name);
      return {
        async record(rec) {
          await matmulForward(rec, a, b, { transB }, out);
        },
        dispose() {
          for (const t of [a, b, out]) t.release();
        },
      };
    },
    peer(tf) {
      const a = tf.randomUniform([M, K], -1, 1, 'float32', 1);
      const b = tf.randomUniform(transB ? [N, K] : [K, N], -1, 1, 'float32', 2);
      return {
        run: () => [tf.matMul(a, b, false, transB)],
        dispose() {
          tf.dispose([a, b]);
        },
      };
    },
  };
}

export const cases: BenchCase[] = [
  product('matmul_256', 256, 256, 256, false),
  product('matmul_512', 512, 512, 512, false),
  product('matmul_1024', 1024, 1024, 1024, false),
  product('matmul_nt_2048x128x512', 2048, 128, 512, true),
];
