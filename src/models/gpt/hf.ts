// Hugging Face GPT-2 interop: our GPT parameters ↔ the tensor names and layouts of
// transformers' GPT2LMHeadModel, and our config ↔ GPT2Config's config.json, so a checkpoint
// directory written here loads with `GPT2LMHeadModel.from_pretrained(dir)`.
//
// The mapping (per block i; D = embd):
//   ours                                       Hugging Face                          layout
//   transformer.wte.weight        (V, D)       transformer.wte.weight                same
//   transformer.wpe.weight        (T, D)       transformer.wpe.weight                same
//   transformer.h.i.ln_1.{weight,bias}         transformer.h.i.ln_1.{weight,bias}    same
//   transformer.h.i.attn.{query,key,value}.weight (D, D) each
//                                              transformer.h.i.attn.c_attn.weight    (D, 3D): [q | k | v] along the output axis
//   transformer.h.i.attn.{query,key,value}.bias  transformer.h.i.attn.c_attn.bias    (3D): [q | k | v]
//   transformer.h.i.attn.out.{weight,bias}     transformer.h.i.attn.c_proj.*         same
//   transformer.h.i.ln_2.*                     transformer.h.i.ln_2.*                same
//   transformer.h.i.mlp.fc.*   (D, 4D)         transformer.h.i.mlp.c_fc.*            same
//   transformer.h.i.mlp.proj.* (4D, D)         transformer.h.i.mlp.c_proj.*          same
//   transformer.ln_f.*                         transformer.ln_f.*                    same
// Our Linear stores its weight (in, out) and computes x·W — exactly GPT-2's Conv1D layout, so
// no transposes. The LM head is tied to wte (tie_word_embeddings), so lm_head.weight is not
// stored. Head h of q/k/v is columns h·d … h·d + d − 1 in both. GPT-2 always has biases: a
// model trained with `bias: false` is written with zero biases (and they are dropped on load).
// The file's metadata carries {"format": "pt"}, which transformers asks of safetensors files.
import type { GptConfig } from './graph';
import type { JsonObject, ParamTensor } from '../../io/checkpoint';

export type Params = Record<string, ParamTensor>;

const PER_LAYER: [string, string][] = [
  ['ln_1.weight', 'ln_1.weight'],
  ['ln_1.bias', 'ln_1.bias'],
  ['attn.out.weight', 'attn.c_proj.weight'],
  ['attn.out.bias', 'attn.c_proj.bias'],
  ['ln_2.weight', 'ln_2.weight'],
  ['ln_2.bias', 'ln_2.bias'],
  ['mlp.fc.weight', 'mlp.c_fc.weight'],
  ['mlp.fc.bias', 'mlp.c_fc.bias'],
  ['mlp.proj.weight', 'mlp.c_proj.weight'],
  ['mlp.proj.bias', 'mlp.c_proj.bias'],
];
const QKV = ['query', 'key', 'value'] as const;
const GLOBAL = ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.ln_f.weight', 'transformer.ln_f.bias'];

function need(p: Params, name: string, shape: number[]): ParamTensor {
  const t = p[name];
  if (!t) throw new Error(`gpt2: no tensor "${name}"`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw new Error(`gpt2: "${name}" is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  return t;
}

function biasShape(ours: string, D: number): number[] {
  return [ours.startsWith('mlp.fc') ? 4 * D : D];
}

/** Our parameters (names as graph.ts creates them) → GPT-2's tensors. */
export function toHf(p: Params, c: GptConfig): Params {
  const D = c.embd;
  const out: Params = {};
  for (const n of GLOBAL) out[n] = p[n] ?? need(p, n, []);
  for (let i = 0; i < c.layers; i++) {
    const pre = `transformer.h.${i}.`;
    for (const [ours, hf] of PER_LAYER) {
      const t = p[pre + ours];
      if (!t && ours.endsWith('.bias') && !c.bias && !ours.startsWith('ln_'))
        out[pre + hf] = { shape: biasShape(ours, D), data: new Float32Array(biasShape(ours, D)[0]!) };
      else out[pre + hf] = need(p, pre + ours, t ? [...t.shape] : []);
    }
    // c_attn.weight (D, 3D): row r = [q[r, :], k[r, :], v[r, :]]
    const w = new Float32Array(D * 3 * D);
    const b = new Float32Array(3 * D);
    QKV.forEach((m, j) => {
      const wt = need(p, `${pre}attn.${m}.weight`, [D, D]).data;
      for (let r = 0; r < D; r++) w.set(wt.subarray(r * D, r * D + D), r * 3 * D + j * D);
      if (c.bias) b.set(need(p, `${pre}attn.${m}.bias`, [D]).data, j * D);
    });
    out[`${pre}attn.c_attn.weight`] = { shape: [D, 3 * D], data: w };
    out[`${pre}attn.c_attn.bias`] = { shape: [3 * D], data: b };
  }
  return out;
}

/** GPT-2's tensors → our parameters (the inverse of toHf; `lm_head.weight`, if present, is ignored: tied). */
export function fromHf(hf: Params, c: GptConfig): Params {
  const D = c.embd;
  const out: Params = {};
  out['transformer.wte.weight'] = need(hf, 'transformer.wte.weight', [c.vocabSize, D]);
  out['transformer.wpe.weight'] = need(hf, 'transformer.wpe.weight', [c.block, D]);
  out['transformer.ln_f.weight'] = need(hf, 'transformer.ln_f.weight', [D]);
  out['transformer.ln_f.bias'] = need(hf, 'transformer.ln_f.bias', [D]);
  for (let i = 0; i < c.layers; i++) {
    const pre = `transformer.h.${i}.`;
    for (const [ours, name] of PER_LAYER) {
      if (ours.endsWith('.bias') && !c.bias && !ours.startsWith('ln_')) continue;
      const t = hf[pre + name];
      if (!t) throw new Error(`gpt2: no tensor "${pre + name}"`);
      out[pre + ours] = t;
    }
    const w = need(hf, `${pre}attn.c_attn.weight`, [D, 3 * D]).data;
    const b = need(hf, `${pre}attn.c_attn.bias`, [3 * D]).data;
    QKV.forEach((m, j) => {
      const wt = new Float32Array(D * D);
      for (let r = 0; r < D; r++) wt.set(w.subarray(r * 3 * D + j * D, r * 3 * D + j * D + D), r * D);
      out[`${pre}attn.${m}.weight`] = { shape: [D, D], data: wt };
      if (c.bias) out[`${pre}attn.${m}.bias`] = { shape: [D], data: b.slice(j * D, j * D + D) };
    });
  }
  return out;
}

/**
 * GPT2Config's config.json for `c` (transformers' field names). `extra` is merged in (we keep our
 * own run state under the key "shadergrad"; transformers keeps unknown keys as attributes).
 */
export function gpt2Config(c: GptConfig, o: { bosId?: number; eosId?: number; extra?: JsonObject } = {}): JsonObject {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.block,
    n_ctx: c.block,
    n_embd: c.embd,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: null,
    activation_function: 'gelu_new',
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    scale_attn_weights: true,
    use_cache: true,
    tie_word_embeddings: true,
    bos_token_id: o.bosId ?? 0,
    eos_token_id: o.eosId ?? 0,
    torch_dtype: 'float32',
    ...(o.extra ?? {}),
  };
}

/** Our config from a GPT2Config object (bias and dropout come from our own block when present). */
export function configFromGpt2(j: Record<string, unknown>): GptConfig {
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`gpt2 config.json: "${k}" is missing or not a number`);
    return v;
  };
  const ours = (j['shadergrad'] as { model?: { bias?: boolean } } | undefined)?.model;
  const act = j['activation_function'];
  // gelu_pytorch_tanh is the same tanh approximation as gelu_new
  if (act !== undefined && act !== 'gelu_new' && act !== 'gelu_pytorch_tanh')
    throw new Error(`gpt2 config.json: activation_function ${String(act)} is not supported (gelu_new only)`);
  const unsupported = (why: string): never => {
    throw new Error(`gpt2 config.json: ${why}, which this GPT does not implement`);
  };
  const inner = j['n_inner'];
  if (inner !== undefined && inner !== null && inner !== 4 * num('n_embd'))
    unsupported(`n_inner is ${String(inner)}, not 4·n_embd = ${4 * num('n_embd')}`);
  const eps = j['layer_norm_epsilon'];
  if (typeof eps === 'number' && Math.abs(eps - 1e-5) > 1e-12)
    unsupported(`layer_norm_epsilon is ${eps}, not GPT-2's 1e-5`);
  if (j['scale_attn_by_inverse_layer_idx'] === true) unsupported('scale_attn_by_inverse_layer_idx is true');
  if (j['scale_attn_weights'] === false) unsupported('scale_attn_weights is false');
  if (j['add_cross_attention'] === true) unsupported('add_cross_attention is true');
  if (j['tie_word_embeddings'] === false) unsupported('tie_word_embeddings is false (an untied LM head)');
  return {
    vocabSize: num('vocab_size'),
    block: num('n_positions'),
    embd: num('n_embd'),
    layers: num('n_layer'),
    heads: num('n_head'),
    dropout: typeof j['resid_pdrop'] === 'number' ? j['resid_pdrop'] : 0,
    bias: ours?.bias ?? true,
  };
}
