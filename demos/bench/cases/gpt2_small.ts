// GPT-2-small-shaped rows (12 layers, 12 heads, embd 768, vocabulary 50257, 1024 positions:
// 124M parameters, random weights of the real shapes). Heavy: they run only when named
// (`npm run bench -- --only gpt2_small`), one warm-up and 2 timed runs each (no timestamp
// passes), because one iteration takes seconds (ours) to minutes (TF.js) on a CPU adapter.
//
// gpt2_small_generate_kv: one generated token with the KV cache (positions 0..127 in turn, a new
//   sequence every 128), logits read back. Ours: GptInference.open — the decoding graph owns the
//   one copy of the weights and the cache, no trainer. Peer: the same model in TF.js with its own
//   KV cache (demos/bench/tf_gpt.ts, caches grown by tf.concat). tokens/s = 1000 / ms.
// gpt2_small_lora_step: one LoRA training step (r 8, α 16 on c_attn, base frozen) on one window of
//   128 tokens: forward, backward (no weight gradient for the frozen base), clipping, AdamW on the
//   adapters. Peer: the same in TF.js, the base as constant tensors and the adapters as the only
//   variables of tf.variableGrads, tf.train.adam.
import type { BenchCase } from '../case';
import { Rng, gpt, gpu } from '../../../src/index';
import { tfGpt } from '../tf_gpt';
import { tfTrainStep } from './gpt';

const GPT2: gpt.GptConfig = { vocabSize: 50257, block: 1024, layers: 12, heads: 12, embd: 768, dropout: 0, bias: true };
const T = 128;
const N = gpt.gptParamCount(GPT2);
const LORA = { r: 8, alpha: 16, dropout: 0, targets: ['c_attn'] };
const HEAVY = { runs: 2 };

function ids(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(GPT2.vocabSize));
}

const profilerOf = (rec: gpu.Recorder): gpu.Profiler | null =>
  (rec as unknown as { profiler: gpu.Profiler | null }).profiler ?? null;

export const cases: BenchCase[] = [
  {
    name: 'gpt2_small_generate_kv',
    shape: `GPT-2 small (L12 H12 D768 V50257, ${(N / 1e6).toFixed(0)}M params), 1 token/iteration at positions 0..${T - 1}, KV cache (peer: TF.js KV cache)`,
    flops: 2 * N,
    bytes: 4 * N,
    heavy: HEAVY,
    async ours(ctx) {
      const inf = await gpt.GptInference.open(ctx, GPT2, { seed: 1 });
      const seq = Array.from(ids(T, 3));
      let i = 0;
      return {
        async record(rec) {
          const p = i++ % T;
          await inf.decodeStep(seq[p]!, p, profilerOf(rec));
        },
        dispose: () => inf.destroy(),
      };
    },
    peer(tf) {
      const m = tfGpt(tf, GPT2);
      const seq = Array.from(ids(T, 3));
      let i = 0;
      return {
        run: () => {
          const p = i++ % T;
          return [m.decode(seq[p]!, p)];
        },
        dispose() {
          m.decode(0, 0).dispose(); // drops the caches
          tf.dispose(m.all);
        },
      };
    },
  },
  {
    name: 'gpt2_small_lora_step',
    shape: `GPT-2 small, LoRA r${LORA.r} on c_attn, 1 window of ${T} tokens (${(12 * 768 * 4 * LORA.r * 2).toLocaleString('en-US')} trainable params)`,
    // forward 2·N·T, backward through the frozen weights (input gradients only) 2·N·T
    flops: 4 * N * T,
    bytes: 4 * (N * 2 + T * (16 * GPT2.embd * GPT2.layers + 3 * GPT2.vocabSize)),
    heavy: HEAVY,
    async ours(ctx) {
      const model = await gpt.GptModel.create(
        ctx,
        GPT2,
        { batch: 1, seqLen: T, lr: 1e-3, warmup: 0, decaySteps: 1000, seed: 1 },
        { lora: LORA },
      );
      const batch = { ids: ids(T, 1), targets: ids(T, 2) };
      return {
        async record(rec) {
          await model.trainer.run(batch, [], profilerOf(rec));
        },
        dispose: () => model.destroy(),
      };
    },
    peer(tf) {
      const m = tfGpt(tf, GPT2, { lora: LORA });
      const step = tfTrainStep(tf, m, 1e-3, 1, T);
      const idx = tf.tensor1d(ids(T, 1), 'int32');
      const targets = tf.tensor1d(ids(T, 2), 'int32');
      return {
        run: () => step(idx, targets),
        dispose() {
          tf.dispose([idx, targets, ...m.all]);
        },
      };
    },
  },
];
