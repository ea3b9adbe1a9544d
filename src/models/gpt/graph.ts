// A nanoGPT-style decoder as graphs (the GPU side lives in model.ts):
//
//   x = drop(wte[ids] + wpe[pos])                      token + learned position embeddings
//   x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))        pre-LN blocks (causal flash attention,
//                                                      GELU MLP of width 4·embd), `layers` times
//   logits = ln_f(x) · wteᵀ                            LM head tied to the token embedding
//
// Choices mirrored from nanoGPT (model.py / train.py), so a run can be set against a PyTorch
// implementation of the same configuration:
// * init: every Linear and both embeddings N(0, 0.02²); the two residual projections of each
//   block (attn.c_proj, mlp.c_proj) N(0, (0.02/√(2·layers))²); biases 0; LayerNorm 1 / 0.
// * the LM head is a matmul with the wte parameter itself (transB), so the tied weight's
//   gradient is the sum of the embedding's and the head's (autograd sums both uses).
// * dropout (when > 0) after the embedding sum, after attn.c_proj and after mlp.c_proj.
//   Differences: no dropout on the attention probabilities (the flash kernel never forms them);
//   `bias: false` drops the Linear biases but keeps LayerNorm's β (zero at init).
// * GELU is the tanh approximation (GPT-2's "gelu_new"; nanoGPT uses the exact erf form —
//   they differ by < 1e-3).
// Parameter names are ours (`transformer.h.0.attn.query.weight` …); hf.ts maps them
// to Hugging Face GPT-2's names and layouts.
import { Graph, type Value } from '../../graph/graph';
import { Dropout, LayerNorm, TransformerBlock, Rng } from '../../nn/layers';
import { attachLora, matchTargets, type LoraAdapter, type LoraConfig, type LoraModule } from '../../nn/lora';
import { normal } from '../../nn/init';
import { InputError, ShapeError } from '../../util/errors';
import { ATTENTION_MAX_HEAD_DIM } from '../../ops/attention';
import type { SizedTensor } from '../../gpu/limits';

export interface GptConfig {
  vocabSize: number;
  /** Context length (positions in wpe). */
  block: number;
  layers: number;
  heads: number;
  embd: number;
  dropout: number;
  /** Biases in the Linear layers (GPT-2: true). */
  bias: boolean;
}

/**
 * The configuration rules, in one place: the CLI checks its flags with this before the browser
 * starts, a checkpoint's config.json is checked with it, and every graph builder calls it.
 * Throws an InputError naming the field and the rule.
 */
export function checkGptConfig(c: GptConfig): void {
  const bad = (why: string): never => {
    throw new InputError(`gpt: ${why}`);
  };
  for (const k of ['vocabSize', 'block', 'layers', 'heads', 'embd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${String(c[k])}`);
  }
  if (c.embd % c.heads !== 0) bad(`embd ${c.embd} is not divisible by heads ${c.heads}`);
  const d = c.embd / c.heads;
  if (d % 4 !== 0)
    bad(
      `head size embd/heads = ${c.embd}/${c.heads} = ${d} must be a multiple of 4 (the attention kernels read vec4s)`,
    );
  if (d > ATTENTION_MAX_HEAD_DIM)
    bad(
      `head size embd/heads = ${c.embd}/${c.heads} = ${d} is past the attention kernels' limit of ${ATTENTION_MAX_HEAD_DIM} (use more heads)`,
    );
  if (!(c.dropout >= 0 && c.dropout < 1)) bad(`dropout must be in [0, 1), got ${c.dropout}`);
}

/**
 * The largest tensors a training run of `c` on batches of B windows allocates (GPU buffers and
 * their host copies), for checkFits before anything is built: the tied embedding (its gradient
 * and AdamW moments have its shape), the position table, the widest weight, the logits and the
 * MLP activations.
 */
export function gptTensorSizes(c: GptConfig, B: number, T = c.block): SizedTensor[] {
  const rows = B * T;
  const size = 'lower --embd or the vocabulary';
  const act = 'lower --batch or --block';
  return [
    { name: 'transformer.wte.weight', shape: [c.vocabSize, c.embd], hint: size },
    { name: 'transformer.wpe.weight', shape: [c.block, c.embd], hint: 'lower --block or --embd' },
    { name: 'mlp.fc.weight', shape: [c.embd, 4 * c.embd], hint: 'lower --embd' },
    { name: 'logits', shape: [rows, c.vocabSize], hint: `${act} (or the vocabulary)` },
    { name: 'mlp hidden activations', shape: [rows, 4 * c.embd], hint: `${act} or --embd` },
  ];
}

/** Trainable parameters (wte counted once: the head is tied). */
export function gptParamCount(c: GptConfig): number {
  const D = c.embd;
  const b = c.bias ? 1 : 0;
  const block = 2 * 2 * D + 4 * (D * D + b * D) + (D * 4 * D + b * 4 * D) + (4 * D * D + b * D);
  return c.vocabSize * D + c.block * D + c.layers * block + 2 * D;
}

export interface GptLayers {
  wte: Value;
  wpe: Value;
  blocks: TransformerBlock[];
  lnf: LayerNorm;
  embDrop: Dropout;
  /** The LoRA adapters (empty without LoRA); every other parameter is then frozen. */
  lora: LoraAdapter[];
}

/** PEFT's default target for GPT-2 (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export const GPT_LORA_TARGETS = ['c_attn'];

/**
 * The Linears of the blocks under GPT-2's module names, for LoRA: c_attn is our query, key and
 * value (one adapter with a shared A), attn.c_proj our attn.out, mlp.c_fc / mlp.c_proj our
 * mlp.fc / mlp.proj.
 */
/** The names gptLoraModules offers for a model of `layers` blocks (no graph needed). */
export function gptLoraModuleNames(layers: number): string[] {
  return Array.from({ length: layers }, (_, i) =>
    ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((m) => `transformer.h.${i}.${m}`),
  ).flat();
}

/** Throws (InputError, naming the modules on offer) when `targets` adapts no module of `c`. */
export function checkGptLoraTargets(c: GptConfig, targets: readonly string[]): void {
  matchTargets(gptLoraModuleNames(c.layers), targets);
}

export function gptLoraModules(blocks: readonly TransformerBlock[]): LoraModule[] {
  return blocks.flatMap((b, i) => {
    const pre = `transformer.h.${i}.`;
    return [
      { module: `${pre}attn.c_attn`, linears: [b.attn.q, b.attn.k, b.attn.v], slots: ['query', 'key', 'value'] },
      { module: `${pre}attn.c_proj`, linears: [b.attn.out] },
      { module: `${pre}mlp.c_fc`, linears: [b.mlp.fc] },
      { module: `${pre}mlp.c_proj`, linears: [b.mlp.proj] },
    ];
  });
}

/**
 * Create the parameters in a fixed order from `seed` (the same seed gives the same weights in
 * every graph built from the config; shared-parameter graphs rely on the names only). With
 * `lora`, adapters are attached to the targeted Linears and the rest is frozen.
 */
export function gptLayers(g: Graph, c: GptConfig, seed: number, lora?: LoraConfig): GptLayers {
  checkGptConfig(c);
  const rng = new Rng(seed);
  const std = 0.02;
  const wte = g.param('transformer.wte.weight', [c.vocabSize, c.embd], normal(rng, std));
  const wpe = g.param('transformer.wpe.weight', [c.block, c.embd], normal(rng, std));
  const blocks: TransformerBlock[] = [];
  for (let i = 0; i < c.layers; i++) {
    blocks.push(
      new TransformerBlock(g, `transformer.h.${i}`, c.embd, c.heads, rng, {
        causal: true,
        dropout: c.dropout,
        seed: (seed * 64 + i + 1) >>> 0,
        init: normal(rng, std),
        outInit: normal(rng, std / Math.sqrt(2 * c.layers)),
        bias: c.bias,
      }),
    );
  }
  const lnf = new LayerNorm(g, 'transformer.ln_f', c.embd);
  const adapters = lora ? attachLora(g, gptLoraModules(blocks), lora, seed) : [];
  return { wte, wpe, blocks, lnf, embDrop: new Dropout(g, c.dropout, (seed * 64) >>> 0), lora: adapters };
}

export interface GptGraph {
  g: Graph;
  layers: GptLayers;
  /** Token ids, i32 (B·T). */
  ids: Value;
  /** Next-token targets, i32 (B·T) (only with `loss`). */
  targets: Value | null;
  /** (B·T, V). */
  logits: Value;
  /** Mean cross-entropy [1] (only with `loss`). */
  loss: Value | null;
  B: number;
  T: number;
}

/** The adapters of an inference graph: the same parameters, no dropout. */
function noDropout(l: LoraConfig): LoraConfig {
  return { ...l, dropout: 0 };
}

/** Positions 0..T−1 for each of B rows. */
function positions(B: number, T: number): number[] {
  return Array.from({ length: B * T }, (_, i) => i % T);
}

/**
 * The whole-sequence graph on B rows of T ≤ block tokens: logits, and with `loss` the mean
 * next-token cross-entropy against `targets`. `dropout: false` builds it without dropout nodes
 * (evaluation and generation graphs).
 */
export function buildGpt(
  c: GptConfig,
  B: number,
  T: number,
  o: { seed?: number; loss?: boolean; dropout?: boolean; lora?: LoraConfig } = {},
): GptGraph {
  if (T > c.block) throw new ShapeError('gpt', `sequence length ${T} is past the context length ${c.block}`);
  const g = new Graph();
  const cfg = o.dropout === false ? { ...c, dropout: 0 } : c;
  const L = gptLayers(g, cfg, o.seed ?? 1, o.lora && o.dropout === false ? noDropout(o.lora) : o.lora);
  const ids = g.input('ids', [B * T], 'i32');
  const pos = g.constant('positions', [B * T], positions(B, T), 'i32');
  let x = L.embDrop.forward(
    g.op('binary', [g.op('embedding', [L.wte, ids], {}), g.op('embedding', [L.wpe, pos], {})], { op: 'add' }),
  );
  for (const b of L.blocks) x = b.forward(x, B, T);
  const logits = g.op('matmul', [L.lnf.forward(x), L.wte], { transB: true });
  let targets: Value | null = null;
  let loss: Value | null = null;
  if (o.loss !== false) {
    targets = g.input('targets', [B * T], 'i32');
    loss = g.apply('cross_entropy', [logits, targets], { ignoreIndex: -1 })[0]!;
  }
  return { g, layers: L, ids, targets, logits, loss, B, T };
}

export interface GptDecodeGraph {
  g: Graph;
  /** Inputs: ids i32 (B), positions i32 (B), cache_pos i32 [1], kv_len i32 (B). */
  logits: Value;
  B: number;
  /** The LoRA adapters of the graph (empty without LoRA). */
  lora: LoraAdapter[];
}

/**
 * One decoding step with a KV cache: B rows, one new token each, all at the same position p.
 * Per layer the cache holds K and V (B, H, block, d) as non-trainable parameters
 * (`cache.h.<i>.k` / `.v`). `kv_cache` gives attention the cache with row p replaced by this
 * step's K/V (the write itself, `kv_cache_store`, is an effect and runs at the end of the step);
 * attention sees keys 0..p through kv_len = p + 1. Logits (B, V) of the new tokens.
 */
export function buildGptDecode(c: GptConfig, B: number, o: { seed?: number; lora?: LoraConfig } = {}): GptDecodeGraph {
  const g = new Graph();
  const L = gptLayers(g, { ...c, dropout: 0 }, o.seed ?? 1, o.lora && noDropout(o.lora));
  const D = c.embd;
  const H = c.heads;
  const d = D / H;
  const ids = g.input('ids', [B], 'i32');
  const pos = g.input('positions', [B], 'i32');
  const cachePos = g.input('cache_pos', [1], 'i32');
  const kvLen = g.input('kv_len', [B], 'i32');
  let x = g.op('binary', [g.op('embedding', [L.wte, ids], {}), g.op('embedding', [L.wpe, pos], {})], { op: 'add' });
  L.blocks.forEach((blk, i) => {
    const heads = (v: Value): Value => g.op('reshape', [v], { shape: [B, H, 1, d] });
    const h = blk.ln1.forward(x);
    const q = heads(blk.attn.q.forward(h));
    const kv = [blk.attn.k, blk.attn.v].map((lin, j) => {
      const cache = g.param(
        `cache.h.${i}.${j ? 'v' : 'k'}`,
        [B, H, c.block, d],
        new Float32Array(B * H * c.block * d),
        false,
      );
      const row = heads(lin.forward(h));
      g.apply('kv_cache_store', [cache, row, cachePos], {});
      return g.op('kv_cache', [cache, row, cachePos], {});
    });
    const [att] = g.apply('attention', [q, kv[0]!, kv[1]!, kvLen], { causal: false });
    x = g.op('binary', [x, blk.attn.out.forward(g.op('reshape', [att!], { shape: [B, D] }))], { op: 'add' });
    x = g.op('binary', [x, blk.mlp.forward(blk.ln2.forward(x))], { op: 'add' });
  });
  const logits = g.op('matmul', [L.lnf.forward(x), L.wte], { transB: true });
  return { g, logits, B, lora: L.lora };
}

/**
 * Attention probabilities of every head of layer `layer` on one sequence of T tokens:
 * softmax(q·kᵀ/√d) with the causal mask, computed explicitly (matmul + softmax ops) from the
 * same weights; output (1, H, T, T), each row sums to 1.
 */
export function buildGptAttentionMap(
  c: GptConfig,
  T: number,
  layer: number,
  o: { seed?: number; lora?: LoraConfig } = {},
): { g: Graph; probs: Value } {
  if (layer < 0 || layer >= c.layers) throw new ShapeError('gpt', `layer ${layer} is not in [0, ${c.layers})`);
  const g = new Graph();
  const L = gptLayers(g, { ...c, dropout: 0 }, o.seed ?? 1, o.lora && noDropout(o.lora));
  const H = c.heads;
  const d = c.embd / H;
  const ids = g.input('ids', [T], 'i32');
  const pos = g.constant('positions', [T], positions(1, T), 'i32');
  let x = g.op('binary', [g.op('embedding', [L.wte, ids], {}), g.op('embedding', [L.wpe, pos], {})], { op: 'add' });
  for (let i = 0; i < layer; i++) x = L.blocks[i]!.forward(x, 1, T);
  const blk = L.blocks[layer]!;
  const h = blk.ln1.forward(x);
  const split = (v: Value): Value =>
    g.op('permute', [g.op('reshape', [v], { shape: [1, T, H, d] })], { perm: [0, 2, 1, 3] });
  const scores = g.op('matmul', [split(blk.attn.q.forward(h)), split(blk.attn.k.forward(h))], { transB: true });
  const probs = g.op('softmax', [scores], { scale: 1 / Math.sqrt(d), causal: true });
  return { g, probs };
}
