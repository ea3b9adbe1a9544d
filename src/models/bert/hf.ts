// BERT checkpoints in Hugging Face's layout, so a model trained here loads with
// `BertForPreTraining.from_pretrained(dir)` / `BertForSequenceClassification.from_pretrained(dir)`
// (transformers, PyTorch) and a Hugging Face BERT of this shape loads here (hub.ts maps what real
// hub folders add: old tensor names, buffers, a stored tied decoder, tokenizer.json):
//
//   model.safetensors   F32 tensors under Hugging Face's names. Our parameters already carry
//                       those names (graph.ts); the only change is the layout of the
//                       Linear weights: ours are (in, out), nn.Linear stores (out, in), so every
//                       2-D weight except the three embedding tables is transposed. The MLM
//                       decoder is tied to bert.embeddings.word_embeddings.weight and its bias
//                       is cls.predictions.bias, so neither cls.predictions.decoder.* is written
//                       (transformers re-ties them on load).
//   config.json         BertConfig fields (below) plus our own block "shadergrad" (ignored by
//                       transformers) with the run's config and progress. hidden_act is the
//                       config's activation: our runs write "gelu_new" (the tanh GELU they train
//                       with); a folder read with "gelu" (exact, erf) writes "gelu" back.
//   vocab.txt           the WordPiece vocabulary, one token per line (id = line number), and
//   tokenizer_config.json  {do_lower_case, model_max_length, …} for BertTokenizer.
//
// name (ours = Hugging Face's)                                   ours        Hugging Face
//   bert.embeddings.word_embeddings.weight                        (V, D)      (V, D)
//   bert.embeddings.position_embeddings.weight                    (P, D)      (P, D)
//   bert.embeddings.token_type_embeddings.weight                  (2, D)      (2, D)
//   bert.embeddings.LayerNorm.{weight,bias}                       (D)         (D)
//   bert.encoder.layer.N.attention.self.{query,key,value}.weight  (D, D) in×out  transposed
//   bert.encoder.layer.N.attention.output.dense.weight            (D, D)      transposed
//   bert.encoder.layer.N.attention.output.LayerNorm.*             (D)
//   bert.encoder.layer.N.intermediate.dense.weight                (D, F)      (F, D)
//   bert.encoder.layer.N.output.dense.weight                      (F, D)      (D, F)
//   bert.encoder.layer.N.output.LayerNorm.*                       (D)
//   bert.pooler.dense.weight                                      (D, D)      transposed
//   cls.predictions.transform.dense.weight                        (D, D)      transposed
//   cls.predictions.transform.LayerNorm.*, cls.predictions.bias   (D), (V)
//   cls.seq_relationship.weight                                   (D, 2)      (2, D)
//   classifier.weight                                             (D, L)      (L, D)
//   every *.bias                                                  (out)       (out)
import { loadSafetensors, saveSafetensors, type TensorToSave } from '../../io/safetensors';
import { inFile, jsonObjectOf, requireFiles } from '../../io/files';
import { decodeUtf8Text } from '../../util/utf8';
import { InputError } from '../../util/errors';
import type { WordPieceOptions } from '../../text/wordpiece';
import { canonicalTensors, wordpieceFromTokenizerJson } from './hub';
import type { BertActivation, BertConfig } from './graph';

export type BertParams = Record<string, { shape: number[]; data: Float32Array }>;

/** Whether a parameter is a Linear weight (stored transposed by Hugging Face). */
export function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !name.includes('_embeddings.');
}

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Our parameters → Hugging Face's tensors (Linear weights transposed). */
export function toHf(params: BertParams): BertParams {
  const out: BertParams = {};
  for (const [name, t] of Object.entries(params)) {
    if (isLinearWeight(name, t.shape))
      out[name] = { shape: [t.shape[1]!, t.shape[0]!], data: transpose(t.data, t.shape[0]!, t.shape[1]!) };
    else out[name] = { shape: [...t.shape], data: t.data };
  }
  return out;
}

/** Hugging Face's tensors → ours (the inverse of toHf). */
export function fromHf(params: BertParams): BertParams {
  return toHf(params); // a transpose is its own inverse (shapes swap back too)
}

export interface HfBertConfigOptions {
  architecture: 'BertForPreTraining' | 'BertForMaskedLM' | 'BertForSequenceClassification';
  padTokenId: number;
  labels?: string[];
  doLowerCase?: boolean;
  /** Our run config and progress, kept under "shadergrad". */
  extra?: Record<string, unknown>;
}

/** config.json as transformers' BertConfig reads it. */
export function hfConfig(cfg: BertConfig, o: HfBertConfigOptions): Record<string, unknown> {
  const c: Record<string, unknown> = {
    architectures: [o.architecture],
    model_type: 'bert',
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hidden,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    intermediate_size: cfg.intermediate,
    // our runs use the tanh GELU ("gelu_new"); a folder loaded with the exact one keeps "gelu"
    hidden_act: HF_ACT[cfg.activation],
    hidden_dropout_prob: cfg.dropout,
    // we never drop attention probabilities (the flash kernels do not materialize them)
    attention_probs_dropout_prob: 0,
    max_position_embeddings: cfg.maxPosition,
    type_vocab_size: cfg.typeVocab,
    initializer_range: cfg.initStd,
    layer_norm_eps: cfg.layerNormEps,
    pad_token_id: o.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  };
  if (o.labels) {
    c.num_labels = o.labels.length;
    c.id2label = Object.fromEntries(o.labels.map((l, i) => [String(i), l]));
    c.label2id = Object.fromEntries(o.labels.map((l, i) => [l, i]));
  }
  if (o.extra) c.shadergrad = o.extra;
  return c;
}

/** hidden_act as we write it, per activation. */
const HF_ACT: Record<BertActivation, string> = { gelu: 'gelu_new', gelu_erf: 'gelu' };

/**
 * hidden_act → our activation: transformers' "gelu" (also its default when absent) is the exact
 * erf GELU; "gelu_new" and "gelu_pytorch_tanh" are the tanh approximation (our 'gelu'). Others
 * (relu, silu, gelu_fast, …) are refused, naming the value.
 */
export function bertActivationFromHf(act: unknown): BertActivation {
  if (act === undefined || act === 'gelu') return 'gelu_erf';
  if (act === 'gelu_new' || act === 'gelu_pytorch_tanh') return 'gelu';
  throw new Error(
    `hidden_act ${JSON.stringify(act)} is not supported (supported: "gelu" (exact), "gelu_new" and "gelu_pytorch_tanh" (tanh approximation))`,
  );
}

/** Refuse what a BertConfig may say that our encoder does not compute. */
function checkHfFeatures(c: Record<string, unknown>): void {
  if (c.model_type !== undefined && c.model_type !== 'bert')
    throw new Error(`model_type ${JSON.stringify(c.model_type)} is not "bert" (this loader reads BERT folders only)`);
  if (c.position_embedding_type !== undefined && c.position_embedding_type !== 'absolute')
    throw new Error(`only absolute position embeddings are supported, got ${String(c.position_embedding_type)}`);
  if (c.is_decoder === true || c.add_cross_attention === true)
    throw new Error('is_decoder / add_cross_attention: a decoder BERT (causal, cross-attention) is not supported');
}

/** Our BertConfig from a Hugging Face config.json (absolute positions, 2 segment types). */
export function bertConfigFromHf(c: Record<string, unknown>): BertConfig {
  const num = (k: string, d?: number): number => {
    const v = c[k] ?? d;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`bert config.json: "${k}" must be a number, got ${JSON.stringify(c[k])}`);
    return v;
  };
  checkHfFeatures(c);
  return {
    vocabSize: num('vocab_size'),
    hidden: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediate: num('intermediate_size'),
    maxPosition: num('max_position_embeddings'),
    typeVocab: num('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    dropout: num('hidden_dropout_prob', 0),
    initStd: num('initializer_range', 0.02),
    activation: bertActivationFromHf(c.hidden_act),
  };
}

const enc = new TextEncoder();

export type BertCheckpointFiles = Record<
  'model.safetensors' | 'config.json' | 'vocab.txt' | 'tokenizer_config.json',
  Uint8Array
>;

/** The files of a Hugging Face BERT directory. */
export function saveBertCheckpoint(
  params: BertParams,
  cfg: BertConfig,
  vocabTxt: string,
  o: HfBertConfigOptions,
): BertCheckpointFiles {
  const tensors: Record<string, TensorToSave> = {};
  for (const [name, t] of Object.entries(toHf(params))) tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  const config = hfConfig(cfg, o);
  const tokCfg = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: o.doLowerCase ?? true,
    model_max_length: cfg.maxPosition,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  };
  return {
    'model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
    'config.json': enc.encode(`${JSON.stringify(config, null, 2)}\n`),
    'vocab.txt': enc.encode(vocabTxt),
    'tokenizer_config.json': enc.encode(`${JSON.stringify(tokCfg, null, 2)}\n`),
  };
}

const CONVERT =
  'convert it to model.safetensors first (in Python: BertForMaskedLM.from_pretrained(dir).save_pretrained(dir), which writes safetensors)';

/** A folder's model.safetensors and config.json are there, and a vocabulary (vocab.txt or tokenizer.json). */
function requireBertFiles(files: Readonly<Record<string, Uint8Array>>): void {
  if (!files['model.safetensors'] && (files['pytorch_model.bin'] || files['model.safetensors.index.json']))
    throw new InputError(
      `model.safetensors: the folder has only ${files['pytorch_model.bin'] ? 'pytorch_model.bin (a pickle, which a page cannot read safely)' : 'a sharded model.safetensors.index.json'}: ${CONVERT}`,
    );
  requireFiles(files, ['model.safetensors', 'config.json', 'vocab.txt'], 'npm run train -- bert');
}

/**
 * Read a Hugging Face BERT directory's files: our config, our-layout parameters, the vocab text
 * (vocab.txt, or the vocabulary of tokenizer.json when a folder has only that: hub.ts). Real hub
 * folders' names and extras (LayerNorm.gamma/beta, buffers, the tied decoder) are mapped by
 * hub.ts. A bad file is an InputError naming it (src/io/files.ts); the tensors' shapes are checked
 * against the config by the ops that use them (use.ts).
 */
export function loadBertCheckpoint(files: Readonly<Record<string, Uint8Array>>): {
  cfg: BertConfig;
  params: BertParams;
  vocabTxt: string;
  config: Record<string, unknown>;
  /** WordPiece options of tokenizer.json when the vocabulary came from there, else null. */
  tokenizerJson: { opts: WordPieceOptions } | null;
} {
  const fromJson = !files['vocab.txt'] && files['tokenizer.json'] !== undefined;
  requireBertFiles(fromJson ? { ...files, 'vocab.txt': new Uint8Array(1) } : files);
  const config = jsonObjectOf('config.json', files['config.json']!);
  const cfg = inFile('config.json', () => bertConfigFromHf(config));
  const hf: BertParams = {};
  inFile('model.safetensors', () => {
    for (const [name, t] of loadSafetensors(files['model.safetensors']!).tensors) {
      const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
      hf[name] = { shape: [...t.shape], data };
    }
  });
  const params = fromHf(inFile('model.safetensors', () => canonicalTensors(hf)));
  if (fromJson) {
    const j = jsonObjectOf('tokenizer.json', files['tokenizer.json']!);
    const { vocab, opts } = inFile('tokenizer.json', () => wordpieceFromTokenizerJson(j));
    return { cfg, params, vocabTxt: `${vocab.join('\n')}\n`, config, tokenizerJson: { opts } };
  }
  const vocabTxt = decodeUtf8Text('vocab.txt', files['vocab.txt']!); // never read as U+FFFDs
  return { cfg, params, vocabTxt, config, tokenizerJson: null };
}
