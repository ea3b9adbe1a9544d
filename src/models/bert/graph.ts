// A mini BERT as graph builders: token + position + segment embeddings, post-LN encoder layers
// with bidirectional flash attention and a key-padding mask, the MLM head (dense + GELU +
// LayerNorm + decoder tied to the token embedding + output bias), the pooler (dense + tanh on
// [CLS]) with the next-sentence head, and a [CLS] classification head.
//
// Post-LN, as BERT: each sublayer is x ← LayerNorm(x + sublayer(x)). We keep BERT's order (not
// the pre-LN TransformerBlock of src/nn/layers.ts) so a checkpoint computes the same function
// in Hugging Face's BertModel after `from_pretrained`; at these depths (≤ 4 layers) with warm-up
// post-LN trains without trouble. Parameters carry Hugging Face's names (bert.embeddings.…,
// bert.encoder.layer.N.…, cls.…, classifier.…), so the export (hf.ts) only
// transposes the Linear weights (ours (in, out), nn.Linear (out, in)).
//
// Shapes: activations are (B·T, D); sequences are padded on the right to the block T and kvLen
// (B, i32) holds each sequence's real length, so attention never looks at padded keys and the
// losses skip padded positions (targets −100). The GELU (encoder feed-forward and MLM head) is
// the config's `activation`: our own models use the tanh approximation 'gelu' (Hugging Face's
// hidden_act "gelu_new"); a Hugging Face folder's "gelu" is the exact erf form 'gelu_erf' (hf.ts).
import { Graph, type Value } from '../../graph/graph';
import { Linear, LayerNorm, Dropout, activation } from '../../nn/layers';
import { normal, zeros } from '../../nn/init';
import { Rng } from '../../util/prng';
import { InputError, ShapeError } from '../../util/errors';
import { ATTENTION_MAX_HEAD_DIM } from '../../ops/attention';
import type { SizedTensor } from '../../gpu/limits';

/** The feed-forward and MLM-head activation: the unary op ('gelu' = tanh form, 'gelu_erf' = exact). */
export type BertActivation = 'gelu' | 'gelu_erf';
export const BERT_ACTIVATIONS: readonly BertActivation[] = ['gelu', 'gelu_erf'];

export interface BertConfig {
  vocabSize: number;
  /** D, the hidden size. */
  hidden: number;
  layers: number;
  heads: number;
  /** Feed-forward size (BERT: 4·D). */
  intermediate: number;
  /** Rows of the position table (≥ the block T). */
  maxPosition: number;
  /** Segment (token type) vocabulary: 2 (sentence A / B). */
  typeVocab: number;
  layerNormEps: number;
  /** Hidden and attention-output dropout (BERT: 0.1). */
  dropout: number;
  /** Std of the normal initializer (BERT: 0.02). */
  initStd: number;
  /** GELU form: 'gelu' (tanh approximation, our runs' default) or 'gelu_erf' (exact, BERT's "gelu"). */
  activation: BertActivation;
}

export function bertConfig(o: Partial<BertConfig> & { vocabSize: number }): BertConfig {
  const hidden = o.hidden ?? 64;
  return {
    hidden,
    layers: 2,
    heads: 4,
    intermediate: 4 * hidden,
    maxPosition: 64,
    typeVocab: 2,
    layerNormEps: 1e-12,
    dropout: 0,
    initStd: 0.02,
    activation: 'gelu',
    ...o,
  };
}

/**
 * The configuration rules, in one place: the CLI checks its flags with this before the browser
 * starts, a folder's config.json is checked with it, and the encoder checks it when built.
 * Throws an InputError naming the field and the rule.
 */
export function checkBertConfig(c: BertConfig): void {
  const bad = (why: string): never => {
    throw new InputError(`bert: ${why}`);
  };
  for (const k of ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPosition', 'typeVocab'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${String(c[k])}`);
  }
  if (c.hidden % c.heads !== 0) bad(`hidden size ${c.hidden} is not divisible by heads ${c.heads}`);
  const d = c.hidden / c.heads;
  if (d % 4 !== 0)
    bad(
      `head size hidden/heads = ${c.hidden}/${c.heads} = ${d} must be a multiple of 4 (the attention kernels read vec4s)`,
    );
  if (d > ATTENTION_MAX_HEAD_DIM)
    bad(
      `head size hidden/heads = ${c.hidden}/${c.heads} = ${d} is past the attention kernels' limit of ${ATTENTION_MAX_HEAD_DIM} (use more heads)`,
    );
  if (!(c.dropout >= 0 && c.dropout < 1)) bad(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!BERT_ACTIVATIONS.includes(c.activation))
    bad(`activation must be one of ${BERT_ACTIVATIONS.join(', ')}, got ${String(c.activation)}`);
}

/** The largest tensors a BERT on batches of B sequences of T tokens allocates, for checkFits before building. */
export function bertTensorSizes(c: BertConfig, B: number, T: number): SizedTensor[] {
  const rows = B * T;
  return [
    { name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocabSize, c.hidden], hint: 'lower --embd or --vocab' },
    { name: 'bert.encoder.layer.0.intermediate.dense.weight', shape: [c.hidden, c.intermediate], hint: 'lower --embd' },
    { name: 'mlm logits', shape: [rows, c.vocabSize], hint: 'lower --batch, --block or --vocab' },
    { name: 'intermediate activations', shape: [rows, c.intermediate], hint: 'lower --batch, --block or --embd' },
  ];
}

/** Hugging Face's ignore index: MLM targets of unselected and padded positions. */
export const IGNORE = -100;

/** The graph inputs every BERT graph has: ids, segments (B·T) i32, kvLen (B) i32. */
export interface BertInputs {
  ids: Value;
  segments: Value;
  kvLen: Value;
}

export interface EncoderOutput {
  /** Final hidden states (B·T, D). */
  hidden: Value;
  /** Per layer: q and k (B, H, T, d) for attention maps computed on the host. */
  qk: { q: Value; k: Value }[];
}

interface Layer {
  query: Linear;
  key: Linear;
  value: Linear;
  attnOut: Linear;
  attnLn: LayerNorm;
  inter: Linear;
  out: Linear;
  outLn: LayerNorm;
}

/** The BERT encoder's parameters in a graph (names as Hugging Face's BertModel) and its forward. */
export class BertEncoder {
  readonly wordEmb: Value;
  readonly posEmb: Value;
  readonly typeEmb: Value;
  readonly embLn: LayerNorm;
  readonly layers: Layer[] = [];
  readonly drop: Dropout;

  constructor(
    readonly g: Graph,
    readonly cfg: BertConfig,
    rng: Rng,
    seed = 0,
  ) {
    const { hidden: D, initStd } = cfg;
    checkBertConfig(cfg);
    const w = normal(rng, initStd);
    this.wordEmb = g.param('bert.embeddings.word_embeddings.weight', [cfg.vocabSize, D], w);
    this.posEmb = g.param('bert.embeddings.position_embeddings.weight', [cfg.maxPosition, D], w);
    this.typeEmb = g.param('bert.embeddings.token_type_embeddings.weight', [cfg.typeVocab, D], w);
    this.embLn = new LayerNorm(g, 'bert.embeddings.LayerNorm', D, cfg.layerNormEps);
    const lin = (name: string, i: number, o: number): Linear =>
      new Linear(g, name, i, o, rng, { init: w, biasInit: zeros });
    for (let l = 0; l < cfg.layers; l++) {
      const p = `bert.encoder.layer.${l}`;
      this.layers.push({
        query: lin(`${p}.attention.self.query`, D, D),
        key: lin(`${p}.attention.self.key`, D, D),
        value: lin(`${p}.attention.self.value`, D, D),
        attnOut: lin(`${p}.attention.output.dense`, D, D),
        attnLn: new LayerNorm(g, `${p}.attention.output.LayerNorm`, D, cfg.layerNormEps),
        inter: lin(`${p}.intermediate.dense`, D, cfg.intermediate),
        out: lin(`${p}.output.dense`, cfg.intermediate, D),
        outLn: new LayerNorm(g, `${p}.output.LayerNorm`, D, cfg.layerNormEps),
      });
    }
    this.drop = new Dropout(g, cfg.dropout, seed);
  }

  /** Graph inputs for a batch of B sequences of block T. */
  static inputs(g: Graph, B: number, T: number): BertInputs {
    return {
      ids: g.input('input_ids', [B * T], 'i32'),
      segments: g.input('token_type_ids', [B * T], 'i32'),
      kvLen: g.input('kv_len', [B], 'i32'),
    };
  }

  forward(x: BertInputs, B: number, T: number): EncoderOutput {
    const { g, cfg } = this;
    if (T > cfg.maxPosition)
      throw new ShapeError('bert', `block ${T} is longer than the ${cfg.maxPosition} positions of the table`);
    const D = cfg.hidden;
    const H = cfg.heads;
    const d = D / H;
    const add = (a: Value, b: Value): Value => g.op('binary', [a, b], { op: 'add' });
    const drop = (v: Value, k: number): Value =>
      cfg.dropout > 0 ? g.op('dropout', [v], { p: cfg.dropout, seed: this.drop.seed * 1000 + k }) : v;
    const posIds = g.constant(
      `position_ids.${B}x${T}`,
      [B * T],
      Array.from({ length: B * T }, (_, i) => i % T),
      'i32',
    );
    const emb = add(
      add(g.op('embedding', [this.wordEmb, x.ids], {}), g.op('embedding', [this.posEmb, posIds], {})),
      g.op('embedding', [this.typeEmb, x.segments], {}),
    );
    let h = drop(this.embLn.forward(emb), 0);
    const heads = (v: Value): Value =>
      g.op('permute', [g.op('reshape', [v], { shape: [B, T, H, d] })], { perm: [0, 2, 1, 3] });
    const qk: EncoderOutput['qk'] = [];
    this.layers.forEach((L, l) => {
      const q = heads(L.query.forward(h));
      const k = heads(L.key.forward(h));
      const [att] = g.apply('attention', [q, k, heads(L.value.forward(h)), x.kvLen], { causal: false });
      qk.push({ q, k });
      const merged = g.op('reshape', [g.op('permute', [att!], { perm: [0, 2, 1, 3] })], { shape: [B * T, D] });
      // post-LN: LayerNorm(x + sublayer(x))
      const a = L.attnLn.forward(add(h, drop(L.attnOut.forward(merged), 2 * l + 1)));
      const f = L.out.forward(activation(g, cfg.activation, L.inter.forward(a)));
      h = L.outLn.forward(add(a, drop(f, 2 * l + 2)));
    });
    return { hidden: h, qk };
  }
}

/** The rows of the [CLS] tokens (position 0 of each sequence): (B·T, D) → (B, D), by a row gather. */
export function clsRows(g: Graph, hidden: Value, B: number, T: number): Value {
  const idx = g.constant(
    `cls_index.${B}x${T}`,
    [B],
    Array.from({ length: B }, (_, b) => b * T),
    'i32',
  );
  return g.op('embedding', [hidden, idx], {});
}

/** Pooler: tanh(dense(h[CLS])) → (B, D). */
export class BertPooler {
  readonly dense: Linear;
  constructor(
    readonly g: Graph,
    cfg: BertConfig,
    rng: Rng,
  ) {
    this.dense = new Linear(g, 'bert.pooler.dense', cfg.hidden, cfg.hidden, rng, {
      init: normal(rng, cfg.initStd),
      biasInit: zeros,
    });
  }
  forward(hidden: Value, B: number, T: number): Value {
    return activation(this.g, 'tanh', this.dense.forward(clsRows(this.g, hidden, B, T)));
  }
}

/** MLM head: LayerNorm(act(dense(h))) · Eᵀ + bias, E the token embedding (tied), act = cfg.activation. */
export class MlmHead {
  readonly dense: Linear;
  readonly ln: LayerNorm;
  readonly bias: Value;
  constructor(
    readonly g: Graph,
    readonly cfg: BertConfig,
    rng: Rng,
    readonly wordEmb: Value,
  ) {
    this.dense = new Linear(g, 'cls.predictions.transform.dense', cfg.hidden, cfg.hidden, rng, {
      init: normal(rng, cfg.initStd),
      biasInit: zeros,
    });
    this.ln = new LayerNorm(g, 'cls.predictions.transform.LayerNorm', cfg.hidden, cfg.layerNormEps);
    this.bias = g.param('cls.predictions.bias', [cfg.vocabSize], zeros);
  }
  /** (R, D) → logits (R, V). */
  forward(h: Value): Value {
    const t = this.ln.forward(activation(this.g, this.cfg.activation, this.dense.forward(h)));
    return this.g.op('linear', [t, this.wordEmb, this.bias], { transB: true });
  }
}

export interface PretrainGraph {
  g: Graph;
  inputs: BertInputs;
  encoder: BertEncoder;
  hidden: Value;
  qk: EncoderOutput['qk'];
  /** (B·T, V) */
  mlmLogits: Value;
  /** (B, 2): 0 = IsNext, 1 = NotNext (Hugging Face's next_sentence_label). */
  nspLogits: Value;
  mlmLoss: Value;
  nspLoss: Value;
  /** mlmLoss + nspLoss */
  loss: Value;
}

/** Pretraining graph (BertForPreTraining): inputs, plus labels (B·T) with −100 off the selection and next_sentence_label (B). */
export function buildPretrainGraph(cfg: BertConfig, B: number, T: number, seed = 1): PretrainGraph {
  const g = new Graph();
  const rng = new Rng(seed);
  const encoder = new BertEncoder(g, cfg, rng, seed);
  const pooler = new BertPooler(g, cfg, rng);
  const mlm = new MlmHead(g, cfg, rng, encoder.wordEmb);
  const nsp = new Linear(g, 'cls.seq_relationship', cfg.hidden, 2, rng, {
    init: normal(rng, cfg.initStd),
    biasInit: zeros,
  });
  const inputs = BertEncoder.inputs(g, B, T);
  const labels = g.input('labels', [B * T], 'i32');
  const nextLabels = g.input('next_sentence_label', [B], 'i32');
  const { hidden, qk } = encoder.forward(inputs, B, T);
  const mlmLogits = mlm.forward(hidden);
  const nspLogits = nsp.forward(pooler.forward(hidden, B, T));
  const [mlmLoss] = g.apply('cross_entropy', [mlmLogits, labels], { ignoreIndex: IGNORE });
  const [nspLoss] = g.apply('cross_entropy', [nspLogits, nextLabels], { ignoreIndex: IGNORE });
  const loss = g.op('binary', [mlmLoss!, nspLoss!], { op: 'add' });
  return { g, inputs, encoder, hidden, qk, mlmLogits, nspLogits, mlmLoss: mlmLoss!, nspLoss: nspLoss!, loss };
}

export interface ClassifierGraph {
  g: Graph;
  inputs: BertInputs;
  hidden: Value;
  /** (B, numLabels) */
  logits: Value;
  loss: Value;
}

/**
 * BertForSequenceClassification: classifier(dropout(pooler(h))) with labels (B) i32.
 * `freezeEncoder` makes every bert.* parameter (embeddings, encoder and pooler) non-trainable,
 * so only the classifier learns (a linear probe on the pooled [CLS] vector).
 */
export function buildClassifierGraph(
  cfg: BertConfig,
  numLabels: number,
  B: number,
  T: number,
  o: { seed?: number; freezeEncoder?: boolean } = {},
): ClassifierGraph {
  const g = new Graph();
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  const encoder = new BertEncoder(g, cfg, rng, seed);
  const pooler = new BertPooler(g, cfg, rng);
  const classifier = new Linear(g, 'classifier', cfg.hidden, numLabels, new Rng(seed, 7), {
    init: normal(new Rng(seed, 8), cfg.initStd),
    biasInit: zeros,
  });
  if (o.freezeEncoder) g.freeze((name) => name.startsWith('bert.'));
  const inputs = BertEncoder.inputs(g, B, T);
  const labels = g.input('labels', [B], 'i32');
  const { hidden } = encoder.forward(inputs, B, T);
  const logits = classifier.forward(
    new Dropout(g, cfg.dropout, seed * 1000 + 999).forward(pooler.forward(hidden, B, T)),
  );
  const [loss] = g.apply('cross_entropy', [logits, labels], { ignoreIndex: IGNORE });
  return { g, inputs, hidden, logits, loss: loss! };
}

/** Number of trainable scalars of a graph. */
export function paramCount(g: Graph): number {
  return g.trainable().reduce((s, p) => s + p.size, 0);
}
