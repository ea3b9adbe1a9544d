// GPT rows. One fixed small config (the CLI's default size): 2 layers, 2 heads, embd 64,
// context 64, batch 16, vocabulary 64 → 1024 tokens per training step.
//
// gpt_train_step: one whole AdamW training step (forward, backward, global-norm clip at 1.0,
//   AdamW with decay on 2-D weights). Ours: one replay of the compiled step (one submit).
//   Peer: the same model written with tfjs-core ops (demos/bench/tf_gpt.ts), tf.variableGrads, the same clipping composed
//   from ops, tf.train.adam(β = 0.9, 0.95) plus decoupled decay. tokens/s = 1024 / ms · 1000.
// gpt_generate_kv / gpt_generate_full: one generated token on one sequence. Ours: the KV-cache
//   decoding step (kv_generate) or a whole-context recompute (full), each including the logits
//   read back to the CPU; peer: TF.js recomputing the whole 64-token context (no readback).
//   tokens/s = 1000 / ms.
import type { BenchCase, TF } from '../case';
import { Rng, gpt, gpu } from '../../../src/index';
import type * as tfc from '@tensorflow/tfjs-core';
import { tfGpt, type TfGpt } from '../tf_gpt';

const CFG: gpt.GptConfig = { vocabSize: 64, block: 64, layers: 2, heads: 2, embd: 64, dropout: 0, bias: true };
const B = 16;
const T = CFG.block;
const D = CFG.embd;
const H = CFG.heads;
const V = CFG.vocabSize;
const N = gpt.gptParamCount(CFG);

function ids(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
}

/** The page's recorder may carry a profiler; pass it to our own submit. */
const profilerOf = (rec: gpu.Recorder): gpu.Profiler | null =>
  (rec as unknown as { profiler: gpu.Profiler | null }).profiler ?? null;

// ---- the TF.js peer (demos/bench/tf_gpt.ts) ---------------------------------------------------

export function tfTrainStep(
  tf: TF,
  m: TfGpt,
  lr: number,
  rows: number,
  len: number,
): (idx: tfc.Tensor, targets: tfc.Tensor) => tfc.Tensor[] {
  const opt = tf.train.adam(lr, 0.9, 0.95, 1e-8);
  const decayed = [...m.vars.values()].filter((v) => v.shape.length >= 2);
  return (idx, targets) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => m.loss(idx, targets, rows, len), [...m.vars.values()]);
      // global-norm clipping at 1.0
      // (pairwise adds: tf.addN over 36 tensors exceeds the 8-storage-buffer limit of some adapters)
      const norm = tf.sqrt(
        Object.values(grads).reduce<tfc.Tensor>((acc, g) => tf.add(acc, tf.sum(tf.square(g))), tf.scalar(0)),
      );
      const scale = tf.div(1, tf.maximum(tf.div(norm, 1), 1));
      const clipped = Object.entries(grads).map(([name, g]) => ({ name, tensor: tf.mul(g, scale) }));
      for (const v of decayed) v.assign(tf.mul(v, 1 - lr * 0.1));
      opt.applyGradients(clipped);
      return [value];
    });
}

// ---- rows ---------------------------------------------------------------------------------------

const OPTIM = { batch: B, lr: 1e-3, warmup: 10, decaySteps: 1000, seed: 1 };

export const cases: BenchCase[] = [
  {
    name: 'gpt_train_step',
    shape: `L${CFG.layers} H${H} D${D} T${T} B${B} V${V} (${B * T} tokens/step, ${N} params)`,
    // ~6 flops per parameter per token (forward + backward) plus attention (12·L·T·D per token)
    flops: 6 * N * B * T + 12 * CFG.layers * T * D * B * T,
    bytes: 4 * (N * 8 + B * T * (16 * D * CFG.layers + 3 * V)),
    async ours(ctx) {
      const model = await gpt.GptModel.create(ctx, CFG, OPTIM);
      const batch = { ids: ids(B * T, 1), targets: ids(B * T, 2) };
      return {
        async record(rec) {
          await model.trainer.run(batch, [], profilerOf(rec));
        },
        dispose: () => model.destroy(),
      };
    },
    peer(tf) {
      const m = tfGpt(tf, CFG);
      const step = tfTrainStep(tf, m, 1e-3, B, T);
      const idx = tf.tensor1d(ids(B * T, 1), 'int32');
      const targets = tf.tensor1d(ids(B * T, 2), 'int32');
      return {
        run: () => step(idx, targets),
        dispose() {
          tf.dispose([idx, targets, ...m.all]);
        },
      };
    },
  },
  ...(['kv', 'full'] as const).map((mode): BenchCase => ({
    name: `gpt_generate_${mode}`,
    shape: `L${CFG.layers} H${H} D${D} context ${T}, 1 token/iteration, ${mode === 'kv' ? 'KV cache' : 'whole-context recompute'} (peer: TF.js recompute)`,
    flops: mode === 'kv' ? 2 * N : 2 * N * T,
    bytes: 4 * N,
    async ours(ctx) {
      const model = await gpt.GptModel.create(ctx, CFG, { ...OPTIM, batch: 1 });
      const seq = Array.from(ids(T, 3));
      let i = 0;
      return {
        async record(rec) {
          const p = i++ % T;
          if (mode === 'kv') await model.decodeStep(seq[p]!, p, profilerOf(rec));
          else await model.nextLogits([seq.slice(0, p + 1)], profilerOf(rec));
        },
        dispose: () => model.destroy(),
      };
    },
    peer(tf) {
      const m = tfGpt(tf, CFG);
      const idx = tf.tensor1d(ids(T, 3), 'int32');
      return {
        run: () => [tf.tidy(() => m.logits(idx, 1, T))],
        dispose() {
          tf.dispose([idx, ...m.all]);
        },
      };
    },
  })),
];
