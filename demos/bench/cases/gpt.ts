// GPT rows. One fixed small config (the CLI's default size): 2 layers, 2 heads, embd 64,
// context 64, batch 16, vocabulary 64 → 1024 tokens per training step.
//
// gpt_train_step: one whole AdamW training step (forward, backward, global-norm clip at 1.0,
//   AdamW with decay on 2-D weights). Ours: one replay of the compiled step (one submit).
//   Peer: the same model written with tfjs-core ops (gather, matMul, moments, softmax with a
//   causal mask, tanh-GELU, softmaxCrossEntropy), tf.variableGrads, the same clipping composed
//   from ops, tf.train.adam(β = 0.9, 0.95) plus decoupled decay. tokens/s = 1024 / ms · 1000.
// gpt_generate_kv / gpt_generate_full: one generated token on one sequence. Ours: the KV-cache
//   decoding step (kv_generate) or a whole-context recompute (full), each including the logits
//   read back to the CPU; peer: TF.js recomputing the whole 64-token context (no readback).
//   tokens/s = 1000 / ms.
import type { BenchCase, TF } from '../case';
import { Rng, gpt, gpu } from '../../../src/index';
import type * as tfc from '@tensorflow/tfjs-core';

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

// ---- the TF.js peer -----------------------------------------------------------------------------

interface TfGpt {
  vars: Map<string, tfc.Variable>;
  loss(ids: tfc.Tensor, targets: tfc.Tensor): tfc.Scalar;
  logits(ids: tfc.Tensor, rows: number, len: number): tfc.Tensor;
}

function tfGpt(tf: TF): TfGpt {
  const r = new Rng(1);
  const vars = new Map<string, tfc.Variable>();
  const param = (name: string, shape: number[], std: number | 'ones' | 'zeros'): tfc.Variable => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data =
      std === 'ones'
        ? new Float32Array(n).fill(1)
        : std === 'zeros'
          ? new Float32Array(n)
          : Float32Array.from({ length: n }, () => std * r.normal());
    const v = tf.variable(tf.tensor(data, shape), true, name);
    vars.set(name, v);
    return v;
  };
  const wte = param('wte', [V, D], 0.02);
  const wpe = param('wpe', [T, D], 0.02);
  const proj = 0.02 / Math.sqrt(2 * CFG.layers);
  const blocks = Array.from({ length: CFG.layers }, (_, i) => ({
    ln1g: param(`h${i}.ln1.g`, [D], 'ones'),
    ln1b: param(`h${i}.ln1.b`, [D], 'zeros'),
    wq: param(`h${i}.q.w`, [D, D], 0.02),
    bq: param(`h${i}.q.b`, [D], 'zeros'),
    wk: param(`h${i}.k.w`, [D, D], 0.02),
    bk: param(`h${i}.k.b`, [D], 'zeros'),
    wv: param(`h${i}.v.w`, [D, D], 0.02),
    bv: param(`h${i}.v.b`, [D], 'zeros'),
    wo: param(`h${i}.o.w`, [D, D], proj),
    bo: param(`h${i}.o.b`, [D], 'zeros'),
    ln2g: param(`h${i}.ln2.g`, [D], 'ones'),
    ln2b: param(`h${i}.ln2.b`, [D], 'zeros'),
    wfc: param(`h${i}.fc.w`, [D, 4 * D], 0.02),
    bfc: param(`h${i}.fc.b`, [4 * D], 'zeros'),
    wpr: param(`h${i}.pr.w`, [4 * D, D], proj),
    bpr: param(`h${i}.pr.b`, [D], 'zeros'),
  }));
  const lnfg = param('lnf.g', [D], 'ones');
  const lnfb = param('lnf.b', [D], 'zeros');
  const ln = (x: tfc.Tensor, g: tfc.Tensor, b: tfc.Tensor): tfc.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  };
  const gelu = (x: tfc.Tensor): tfc.Tensor =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
    );
  const forward = (idx: tfc.Tensor, rows: number, len: number): tfc.Tensor => {
    const d = D / H;
    const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([len, len]), -1, 0)), -1e9);
    let x = tf.add(tf.gather(wte, idx), tf.tile(tf.slice(wpe, [0, 0], [len, D]), [rows, 1]));
    for (const b of blocks) {
      const h = ln(x, b.ln1g, b.ln1b);
      const heads = (w: tfc.Tensor, bias: tfc.Tensor): tfc.Tensor =>
        tf.transpose(tf.reshape(tf.add(tf.matMul(h, w), bias), [rows, len, H, d]), [0, 2, 1, 3]);
      const [q, k, v] = [heads(b.wq, b.bq), heads(b.wk, b.bk), heads(b.wv, b.bv)];
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), mask));
      const merged = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [rows * len, D]);
      x = tf.add(x, tf.add(tf.matMul(merged, b.wo), b.bo));
      x = tf.add(x, tf.add(tf.matMul(gelu(tf.add(tf.matMul(ln(x, b.ln2g, b.ln2b), b.wfc), b.bfc)), b.wpr), b.bpr));
    }
    return tf.matMul(ln(x, lnfg, lnfb), wte, false, true);
  };
  return {
    vars,
    loss: (idx, targets) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(targets as tfc.Tensor1D, V), forward(idx, B, T)) as tfc.Scalar,
    logits: forward,
  };
}

function tfTrainStep(tf: TF, m: TfGpt, lr: number): (idx: tfc.Tensor, targets: tfc.Tensor) => tfc.Tensor[] {
  const opt = tf.train.adam(lr, 0.9, 0.95, 1e-8);
  const decayed = [...m.vars.values()].filter((v) => v.shape.length >= 2);
  return (idx, targets) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => m.loss(idx, targets));
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
      const m = tfGpt(tf);
      const step = tfTrainStep(tf, m, 1e-3);
      const idx = tf.tensor1d(ids(B * T, 1), 'int32');
      const targets = tf.tensor1d(ids(B * T, 2), 'int32');
      return {
        run: () => step(idx, targets),
        dispose() {
          tf.dispose([idx, targets, ...m.vars.values()]);
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
      const m = tfGpt(tf);
      const idx = tf.tensor1d(ids(T, 3), 'int32');
      return {
        run: () => [tf.tidy(() => m.logits(idx, 1, T))],
        dispose() {
          tf.dispose([idx, ...m.vars.values()]);
        },
      };
    },
  })),
];
