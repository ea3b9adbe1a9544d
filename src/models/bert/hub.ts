// What real Hugging Face BERT folders hold beyond our own files, mapped onto our layout (hf.ts):
//
//   tensor names   bert-base-uncased's model.safetensors still has the 2018 names
//                  *.LayerNorm.gamma / .beta (transformers renames them on load: so do we); a
//                  BertModel saved alone has no "bert." prefix (embeddings.…, encoder.…, pooler.…);
//                  persistent buffers bert.embeddings.position_ids / token_type_ids (int64) of
//                  older transformers are not parameters and are dropped; the MLM decoder
//                  cls.predictions.decoder.weight is the word embedding (tied: dropped, refused if
//                  it differs, since our MLM head ties it) and cls.predictions.decoder.bias is
//                  cls.predictions.bias (kept under that name if only the decoder's is there).
//                  BertForPreTraining's cls.seq_relationship.* and the pooler load as ours;
//                  BertForMaskedLM has neither, and fill-mask does not need them.
//   tokenizer      vocab.txt (+ tokenizer_config.json: do_lower_case, strip_accents) as
//                  BertTokenizer reads it; a folder saved by transformers 5 may have only
//                  tokenizer.json (a WordPiece model with BertNormalizer and BertPreTokenizer),
//                  whose vocabulary and options are read instead.
import type { WordPieceOptions } from '../../text/wordpiece';
import type { BertParams } from './hf';

/** The files a BERT folder may hold that we read (the optimizer state only in our own runs). */
export const BERT_FOLDER_FILES = [
  'model.safetensors',
  'config.json',
  'vocab.txt',
  'tokenizer_config.json',
  'tokenizer.json',
  'optimizer.safetensors',
] as const;

/** Persistent buffers of older transformers' BertEmbeddings: not parameters. */
const BUFFERS = new Set(['bert.embeddings.position_ids', 'bert.embeddings.token_type_ids']);
const DECODER_W = 'cls.predictions.decoder.weight';
const DECODER_B = 'cls.predictions.decoder.bias';
const WORD_EMB = 'bert.embeddings.word_embeddings.weight';

/** One tensor's name as transformers would load it: gamma/beta renamed, "bert." prefixed if bare. */
function canonicalName(name: string, bare: boolean): string {
  let n = name.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
  if (bare && /^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`;
  return n;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A hub checkpoint's tensors (Hugging Face's layout, f32) under the names our graph uses. Throws
 * (plain Error: the caller names the file) for an untied MLM decoder.
 */
export function canonicalTensors(tensors: BertParams): BertParams {
  const names = Object.keys(tensors);
  const bare = !names.some((n) => n.startsWith('bert.'));
  const out: BertParams = {};
  for (const name of names) {
    const n = canonicalName(name, bare);
    if (BUFFERS.has(n)) continue;
    out[n] = tensors[name]!;
  }
  const dec = out[DECODER_W];
  if (dec) {
    const emb = out[WORD_EMB];
    if (!emb || !sameValues(dec.data, emb.data))
      throw new Error(
        `${DECODER_W} differs from ${WORD_EMB} (an MLM decoder not tied to the word embeddings), which our BERT cannot run: its MLM head is tied`,
      );
    delete out[DECODER_W];
  }
  const decBias = out[DECODER_B];
  if (decBias) {
    out['cls.predictions.bias'] ??= decBias;
    delete out[DECODER_B];
  }
  return out;
}

/** WordPiece options from tokenizer_config.json (BertTokenizer's do_lower_case, strip_accents). */
export function wordpieceOptionsOf(tc: Record<string, unknown>): WordPieceOptions {
  const lowercase = tc['do_lower_case'] !== false;
  const sa = tc['strip_accents'];
  return { lowercase, stripAccents: typeof sa === 'boolean' ? sa : lowercase };
}

interface TokenizerJsonModel {
  type?: unknown;
  vocab?: unknown;
  continuing_subword_prefix?: unknown;
  max_input_chars_per_word?: unknown;
}

/** tokenizer.json's vocabulary by id, checked to be ids 0..n−1 (added tokens included). */
function vocabById(model: TokenizerJsonModel, added: unknown): string[] {
  if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab))
    throw new Error('model.vocab is not an object of token → id');
  const byId = new Map<number, string>();
  const put = (tok: string, id: unknown): void => {
    if (!Number.isSafeInteger(id) || (id as number) < 0)
      throw new Error(`token ${JSON.stringify(tok)} has id ${String(id)}`);
    const had = byId.get(id as number);
    if (had !== undefined && had !== tok)
      throw new Error(`id ${String(id)} is both ${JSON.stringify(had)} and ${JSON.stringify(tok)}`);
    byId.set(id as number, tok);
  };
  for (const [tok, id] of Object.entries(model.vocab as Record<string, unknown>)) put(tok, id);
  if (Array.isArray(added))
    for (const a of added as { id?: unknown; content?: unknown }[])
      if (typeof a.content === 'string' && !byId.has(a.id as number)) put(a.content, a.id);
  const vocab = Array.from({ length: byId.size }, (_, i) => byId.get(i));
  const gap = vocab.findIndex((t) => t === undefined);
  if (gap >= 0) throw new Error(`the vocabulary's ids are not 0..${byId.size - 1} (no token has id ${gap})`);
  return vocab as string[];
}

/**
 * A Hugging Face tokenizer.json of a BERT WordPiece tokenizer: its vocabulary (id = index) and
 * options. Refuses (plain Error) another model or a normalizer / pre-tokenizer that is not BERT's.
 */
export function wordpieceFromTokenizerJson(j: Record<string, unknown>): { vocab: string[]; opts: WordPieceOptions } {
  const model = (j['model'] ?? {}) as TokenizerJsonModel;
  if (model.type !== 'WordPiece')
    throw new Error(`model.type is ${JSON.stringify(model.type)}, not "WordPiece" (not a BERT tokenizer)`);
  if (model.continuing_subword_prefix !== undefined && model.continuing_subword_prefix !== '##')
    throw new Error(`continuing_subword_prefix ${JSON.stringify(model.continuing_subword_prefix)} is not "##"`);
  const norm = (j['normalizer'] ?? null) as { type?: unknown; lowercase?: unknown; strip_accents?: unknown } | null;
  if (norm !== null && norm.type !== 'BertNormalizer')
    throw new Error(`normalizer ${JSON.stringify(norm.type)} is not BertNormalizer`);
  const pre = (j['pre_tokenizer'] ?? null) as { type?: unknown } | null;
  if (pre !== null && pre.type !== 'BertPreTokenizer')
    throw new Error(`pre_tokenizer ${JSON.stringify(pre.type)} is not BertPreTokenizer`);
  const lowercase = norm === null ? false : norm.lowercase !== false;
  const stripAccents = typeof norm?.strip_accents === 'boolean' ? norm.strip_accents : lowercase;
  const max = model.max_input_chars_per_word;
  const opts: WordPieceOptions = { lowercase, stripAccents };
  if (Number.isSafeInteger(max) && (max as number) > 0) opts.maxCharsPerWord = max as number;
  return { vocab: vocabById(model, j['added_tokens']), opts };
}
