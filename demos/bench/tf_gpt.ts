// The benchmark's TF.js peer of our GPT (src/models/gpt/graph.ts), written with tfjs-core ops:
// gather, matMul, moments, softmax with a causal mask, tanh-GELU, softmaxCrossEntropy, the LM
// head tied to wte. Optionally LoRA on c_attn (q, k, v share A, one B each, scale α/r, base
// weights constant tensors so tf.variableGrads differentiates the adapters only), and a
// KV-cache decoding step (the caches grow by tf.concat). Same init rules as ours: N(0, 0.02²),
// residual projections N(0, (0.02/√(2L))²), LayerNorm 1 / 0, biases 0.
import type * as tfc from '@tensorflow/tfjs-core';
import type { TF } from './case';
import { Rng, type gpt } from '../../src/index';

/** A peer weight's initial values: N(0, std²) for a number, else ones or zeros. */
export type Fill = number | 'ones' | 'zeros';

export function initValues(r: Rng, shape: readonly number[], init: Fill): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (init === 'ones') return new Float32Array(n).fill(1);
  if (init === 'zeros') return new Float32Array(n);
  return Float32Array.from({ length: n }, () => init * r.normal());
}

export interface TfGpt {
  /** The variables that train: every weight, or with LoRA only the adapters. */
  vars: Map<string, tfc.Variable>;
  /** Every tensor the model holds (for dispose). */
  all: tfc.Tensor[];
  /** Logits (rows·len, V) of rows sequences of len tokens (ids flat, i32). */
  logits(ids: tfc.Tensor, rows: number, len: number): tfc.Tensor;
  /** Mean next-token cross-entropy. */
  loss(ids: tfc.Tensor, targets: tfc.Tensor, rows: number, len: number): tfc.Scalar;
  /** One token at position p through the KV cache (p = 0 starts a new sequence); logits (1, V). */
  decode(token: number, p: number): tfc.Tensor;
}

interface Block {
  ln1g: tfc.Tensor;
  ln1b: tfc.Tensor;
  qkv: [tfc.Tensor, tfc.Tensor][];
  wo: tfc.Tensor;
  bo: tfc.Tensor;
  ln2g: tfc.Tensor;
  ln2b: tfc.Tensor;
  wfc: tfc.Tensor;
  bfc: tfc.Tensor;
  wpr: tfc.Tensor;
  bpr: tfc.Tensor;
  /** LoRA on c_attn: A (D, r) and B_q, B_k, B_v (r, D). */
  lora?: { A: tfc.Tensor; B: tfc.Tensor[] };
}

export function tfGpt(tf: TF, c: gpt.GptConfig, o: { lora?: { r: number; alpha: number }; seed?: number } = {}): TfGpt {
  const r = new Rng(o.seed ?? 1);
  const D = c.embd;
  const H = c.heads;
  const d = D / H;
  const vars = new Map<string, tfc.Variable>();
  const all: tfc.Tensor[] = [];
  const make = (name: string, shape: number[], init: Fill, train: boolean): tfc.Tensor => {
    const t = tf.tensor(initValues(r, shape, init), shape);
    if (!train) {
      all.push(t);
      return t;
    }
    const v = tf.variable(t, true, name);
    t.dispose();
    vars.set(name, v);
    all.push(v);
    return v;
  };
  const base = !o.lora;
  const w = (name: string, shape: number[], init: number | 'ones' | 'zeros'): tfc.Tensor =>
    make(name, shape, init, base);
  const wte = w('wte', [c.vocabSize, D], 0.02);
  const wpe = w('wpe', [c.block, D], 0.02);
  const proj = 0.02 / Math.sqrt(2 * c.layers);
  const blocks: Block[] = Array.from({ length: c.layers }, (_, i) => ({
    ln1g: w(`h${i}.ln1.g`, [D], 'ones'),
    ln1b: w(`h${i}.ln1.b`, [D], 'zeros'),
    qkv: ['q', 'k', 'v'].map((m) => [w(`h${i}.${m}.w`, [D, D], 0.02), w(`h${i}.${m}.b`, [D], 'zeros')]),
    wo: w(`h${i}.o.w`, [D, D], proj),
    bo: w(`h${i}.o.b`, [D], 'zeros'),
    ln2g: w(`h${i}.ln2.g`, [D], 'ones'),
    ln2b: w(`h${i}.ln2.b`, [D], 'zeros'),
    wfc: w(`h${i}.fc.w`, [D, 4 * D], 0.02),
    bfc: w(`h${i}.fc.b`, [4 * D], 'zeros'),
    wpr: w(`h${i}.pr.w`, [4 * D, D], proj),
    bpr: w(`h${i}.pr.b`, [D], 'zeros'),
    ...(o.lora
      ? {
          lora: {
            A: make(`h${i}.lora_A`, [D, o.lora.r], 1 / Math.sqrt(D), true),
            B: ['q', 'k', 'v'].map((m) => make(`h${i}.lora_B.${m}`, [o.lora!.r, D], 'zeros', true)),
          },
        }
      : {}),
  }));
  const lnfg = w('lnf.g', [D], 'ones');
  const lnfb = w('lnf.b', [D], 'zeros');
  const scale = o.lora ? o.lora.alpha / o.lora.r : 0;

  const ln = (x: tfc.Tensor, g: tfc.Tensor, b: tfc.Tensor): tfc.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  };
  const gelu = (x: tfc.Tensor): tfc.Tensor =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
    );
  /** q, k, v (rows, D) of h, with the LoRA term when there is one. */
  const qkvOf = (b: Block, h: tfc.Tensor): tfc.Tensor[] => {
    const down = b.lora ? tf.matMul(h, b.lora.A) : null;
    return b.qkv.map(([wt, bias], j) => {
      const y = tf.add(tf.matMul(h, wt), bias);
      return down ? tf.add(y, tf.mul(tf.matMul(down, b.lora!.B[j]!), scale)) : y;
    });
  };
  const mlp = (b: Block, x: tfc.Tensor): tfc.Tensor =>
    tf.add(tf.matMul(gelu(tf.add(tf.matMul(ln(x, b.ln2g, b.ln2b), b.wfc), b.bfc)), b.wpr), b.bpr);

  const logits = (idx: tfc.Tensor, rows: number, len: number): tfc.Tensor => {
    const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([len, len]), -1, 0)), -1e9);
    let x = tf.add(tf.gather(wte, idx), tf.tile(tf.slice(wpe, [0, 0], [len, D]), [rows, 1]));
    for (const b of blocks) {
      const heads = (t: tfc.Tensor): tfc.Tensor => tf.transpose(tf.reshape(t, [rows, len, H, d]), [0, 2, 1, 3]);
      const [q, k, v] = qkvOf(b, ln(x, b.ln1g, b.ln1b)).map(heads) as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), mask));
      const merged = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [rows * len, D]);
      x = tf.add(x, tf.add(tf.matMul(merged, b.wo), b.bo));
      x = tf.add(x, mlp(b, x));
    }
    return tf.matMul(ln(x, lnfg, lnfb), wte, false, true);
  };

  // KV caches (H, p, d) per layer, kept across steps
  let caches: { k: tfc.Tensor; v: tfc.Tensor }[] = [];
  const decode = (token: number, p: number): tfc.Tensor => {
    if (p === 0) {
      tf.dispose(caches.flatMap((cc) => [cc.k, cc.v]));
      caches = [];
    }
    const next: { k: tfc.Tensor; v: tfc.Tensor }[] = [];
    const out = tf.tidy(() => {
      let x = tf.add(tf.gather(wte, tf.tensor1d([token], 'int32')), tf.slice(wpe, [p, 0], [1, D]));
      blocks.forEach((b, i) => {
        const [q, k, v] = qkvOf(b, ln(x, b.ln1g, b.ln1b)).map((t) => tf.reshape(t, [H, 1, d]));
        const prev = caches[i];
        const K = prev ? tf.concat([prev.k, k!], 1) : k!;
        const V = prev ? tf.concat([prev.v, v!], 1) : v!;
        next.push({ k: tf.keep(K), v: tf.keep(V) });
        const att = tf.softmax(tf.mul(tf.matMul(q!, K, false, true), 1 / Math.sqrt(d)));
        x = tf.add(x, tf.add(tf.matMul(tf.reshape(tf.matMul(att, V), [1, D]), b.wo), b.bo));
        x = tf.add(x, mlp(b, x));
      });
      return tf.matMul(ln(x, lnfg, lnfb), wte, false, true);
    });
    tf.dispose(caches.flatMap((cc) => [cc.k, cc.v]));
    caches = next;
    return out;
  };

  return {
    vars,
    all,
    logits,
    loss: (idx, targets, rows, len) =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(targets as tfc.Tensor1D, c.vocabSize),
        logits(idx, rows, len),
      ) as tfc.Scalar,
    decode,
  };
}
