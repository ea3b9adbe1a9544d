// bert_train_step: one whole MLM + NSP pretraining step of the mini BERT (forward, backward,
// global-norm clip at 1.0, AdamW with decay on 2-D weights), fixed small config: 2 post-LN
// layers, 4 heads, hidden 64, block 32, batch 16, vocabulary 512, sequences of 12–32 real tokens
// padded to 32 (key-padding mask), 15% of the real tokens as MLM targets.
// Ours: one replay of the compiled step (src/models/bert/model.ts, one submit). Peer: the same
// model with tfjs-core ops (gather, matMul, moments, an additive −1e9 mask on padded keys,
// tanh-GELU, weighted softmaxCrossEntropy over the masked rows, NSP on the tanh pooler),
// tf.variableGrads, the same clipping, tf.train.adam plus decoupled decay.
// tokens/s = real (unpadded) tokens per step / ms · 1000.
import type { BenchCase, TF } from '../case';
import { Rng, bert, gpu } from '../../../src/index';
import type * as tfc from '@tensorflow/tfjs-core';
import { initValues, type Fill } from '../tf_gpt';

const V = 512;
const B = 16;
const T = 32;
const CFG = bert.bertConfig({ vocabSize: V, hidden: 64, layers: 2, heads: 4, maxPosition: T });
const D = CFG.hidden;
const H = CFG.heads;
const N = bert.paramCount(bert.buildPretrainGraph(CFG, 1, T).g);

/** A fixed padded batch: lengths 12–32, [CLS] … [SEP] … [SEP], 15% targets. */
function batch(): {
  input_ids: Int32Array;
  token_type_ids: Int32Array;
  kv_len: Int32Array;
  labels: Int32Array;
  next_sentence_label: Int32Array;
  real: number;
} {
  const r = new Rng(5);
  const input_ids = new Int32Array(B * T);
  const token_type_ids = new Int32Array(B * T);
  const kv_len = new Int32Array(B);
  const labels = new Int32Array(B * T).fill(bert.IGNORE);
  let real = 0;
  for (let b = 0; b < B; b++) {
    const n = 12 + r.int(T - 11);
    kv_len[b] = n;
    real += n;
    const half = Math.floor(n / 2);
    for (let t = 0; t < n; t++) {
      input_ids[b * T + t] = t === 0 ? 2 : t === half || t === n - 1 ? 3 : 5 + r.int(V - 5);
      token_type_ids[b * T + t] = t > half ? 1 : 0;
      if (t > 0 && t !== half && t !== n - 1 && r.next() < 0.15) labels[b * T + t] = input_ids[b * T + t]!;
    }
  }
  const next_sentence_label = Int32Array.from({ length: B }, (_, b) => b % 2);
  return { input_ids, token_type_ids, kv_len, labels, next_sentence_label, real };
}
const BATCH = batch();

const profilerOf = (rec: gpu.Recorder): gpu.Profiler | null =>
  (rec as unknown as { profiler: gpu.Profiler | null }).profiler ?? null;

function tfBert(tf: TF): { vars: tfc.Variable[]; loss(): tfc.Scalar } {
  const r = new Rng(1);
  const vars: tfc.Variable[] = [];
  const param = (shape: number[], init: Fill): tfc.Variable => {
    const v = tf.variable(tf.tensor(initValues(r, shape, init), shape), true);
    vars.push(v);
    return v;
  };
  const lin = (i: number, o: number): { w: tfc.Variable; b: tfc.Variable } => ({
    w: param([i, o], 0.02),
    b: param([o], 'zeros'),
  });
  const lnp = (): { g: tfc.Variable; b: tfc.Variable } => ({ g: param([D], 'ones'), b: param([D], 'zeros') });
  const wte = param([V, D], 0.02);
  const wpe = param([T, D], 0.02);
  const wtt = param([2, D], 0.02);
  const embLn = lnp();
  const layers = Array.from({ length: CFG.layers }, () => ({
    q: lin(D, D),
    k: lin(D, D),
    v: lin(D, D),
    o: lin(D, D),
    ln1: lnp(),
    fc: lin(D, 4 * D),
    pr: lin(4 * D, D),
    ln2: lnp(),
  }));
  const pool = lin(D, D);
  const tr = lin(D, D);
  const trLn = lnp();
  const mlmBias = param([V], 'zeros');
  const nsp = lin(D, 2);
  const ln = (x: tfc.Tensor, p: { g: tfc.Tensor; b: tfc.Tensor }): tfc.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-12))), p.g), p.b);
  };
  const dense = (x: tfc.Tensor, p: { w: tfc.Tensor; b: tfc.Tensor }): tfc.Tensor => tf.add(tf.matMul(x, p.w), p.b);
  const gelu = (x: tfc.Tensor): tfc.Tensor =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
    );
  const ids = tf.tensor1d(BATCH.input_ids, 'int32');
  const segs = tf.tensor1d(BATCH.token_type_ids, 'int32');
  const keyMask = tf.tensor(
    Float32Array.from({ length: B * T }, (_, i) => (i % T < BATCH.kv_len[Math.floor(i / T)]! ? 0 : -1e9)),
    [B, 1, 1, T],
  );
  const targets = tf.oneHot(
    tf.tensor1d(
      Int32Array.from(BATCH.labels, (t) => Math.max(t, 0)),
      'int32',
    ),
    V,
  );
  const weights = tf.tensor1d(Float32Array.from(BATCH.labels, (t) => (t === bert.IGNORE ? 0 : 1)));
  const nspTargets = tf.oneHot(tf.tensor1d(BATCH.next_sentence_label, 'int32'), 2);
  const d = D / H;
  return {
    vars,
    loss: () => {
      let x = ln(tf.add(tf.add(tf.gather(wte, ids), tf.tile(wpe, [B, 1])), tf.gather(wtt, segs)), embLn);
      for (const L of layers) {
        const heads = (p: { w: tfc.Tensor; b: tfc.Tensor }): tfc.Tensor =>
          tf.transpose(tf.reshape(dense(x, p), [B, T, H, d]), [0, 2, 1, 3]);
        const att = tf.softmax(
          tf.add(tf.mul(tf.matMul(heads(L.q), heads(L.k), false, true), 1 / Math.sqrt(d)), keyMask),
        );
        const merged = tf.reshape(tf.transpose(tf.matMul(att, heads(L.v)), [0, 2, 1, 3]), [B * T, D]);
        x = ln(tf.add(x, dense(merged, L.o)), L.ln1);
        x = ln(tf.add(x, dense(gelu(dense(x, L.fc)), L.pr)), L.ln2);
      }
      const logits = tf.add(tf.matMul(ln(gelu(dense(x, tr)), trLn), wte, false, true), mlmBias);
      const mlm = tf.losses.softmaxCrossEntropy(targets, logits, weights);
      const cls = tf.reshape(tf.slice(tf.reshape(x, [B, T, D]), [0, 0, 0], [B, 1, D]), [B, D]);
      const nl = tf.losses.softmaxCrossEntropy(nspTargets, dense(tf.tanh(dense(cls, pool)), nsp));
      return tf.add(mlm, nl) as tfc.Scalar;
    },
  };
}

export const cases: BenchCase[] = [
  {
    name: 'bert_train_step',
    shape: `L${CFG.layers} H${H} D${D} T${T} B${B} V${V} padded (${BATCH.real} real of ${B * T} tokens/step, ${N} params)`,
    // ~6 flops per parameter per token (forward + backward; the decoder runs on every row) plus attention
    flops: 6 * N * B * T + 12 * CFG.layers * T * D * B * T,
    bytes: 4 * (N * 8 + B * T * (16 * D * CFG.layers + 3 * V)),
    async ours(ctx) {
      const pre = await bert.BertPretrainer.create(ctx, CFG, { batch: B, block: T, lr: 1e-3, steps: 1000, seed: 1 });
      const { real: _real, ...feeds } = BATCH;
      return {
        async record(rec) {
          await pre.trainer.run(feeds, [], profilerOf(rec));
        },
        dispose: () => pre.destroy(),
      };
    },
    peer(tf) {
      const m = tfBert(tf);
      const lr = 1e-3;
      const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
      const decayed = m.vars.filter((v) => v.shape.length >= 2);
      return {
        run: () =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => m.loss(), m.vars);
            // pairwise adds: tf.addN over all gradients binds more storage buffers than some adapters allow
            const norm = tf.sqrt(
              Object.values(grads)
                .map((g) => tf.sum(tf.square(g)))
                .reduce((a, b) => tf.add(a, b)),
            );
            const scale = tf.div(1, tf.maximum(norm, 1));
            for (const v of decayed) v.assign(tf.mul(v, 1 - lr * 0.01));
            opt.applyGradients(Object.entries(grads).map(([name, g]) => ({ name, tensor: tf.mul(g, scale) })));
            return [value];
          }),
        dispose() {
          tf.dispose(m.vars);
          opt.dispose();
        },
      };
    },
  },
];
