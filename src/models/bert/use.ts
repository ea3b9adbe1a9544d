// Using a saved BERT folder (opened and checked by folder.ts): fill-mask, classification and
// contextual-vector similarity. Every input is checked before the GPU is touched, by pure checks
// the CLI also runs in Node (checkFillMask, …): a text longer than the model's positions, a
// fill-mask text without [MASK], or a folder without the head the op needs is an InputError
// naming the op, the text and the limit.
import type { GpuContext } from '../../gpu/device';
import { buildClassifierGraph, buildPretrainGraph } from './graph';
import type { BertFolder } from './folder';
import { InputError } from '../../util/errors';
import type { Graph } from '../../graph/graph';
import { BertClassifier } from './classifier';
import { BertInference, cosine, wordAt } from './inference';
import { specialsOf } from './data';

/** Every parameter of `g` that `keep` selects must be in the folder with the graph's shape. */
function requireParams(op: string, f: BertFolder, g: Graph, keep: (name: string) => boolean, what: string): void {
  const missing: string[] = [];
  for (const [name, v] of g.params) {
    if (!keep(name)) continue;
    const t = f.params[name];
    if (!t) missing.push(name);
    else if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
      throw new InputError(
        `bert ${op}: "${name}" has shape [${t.shape.join(', ')}] in model.safetensors, the model of config.json wants [${v.shape.join(', ')}]`,
      );
  }
  if (missing.length)
    throw new InputError(
      `bert ${op}: the checkpoint has no ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}; ${what}`,
    );
}

/** A text as messages show it: one line, at most 60 characters. */
const shown = (text: string): string => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
};

/** Word pieces of each text, refusing one that does not fit [CLS] text [SEP] in the model's positions. */
function encodeAll(op: string, f: BertFolder, texts: readonly string[]): number[][] {
  if (!texts.length) throw new InputError(`bert ${op}: no text given`);
  const T = f.cfg.maxPosition;
  return texts.map((text) => {
    const ids = f.tok.encode(text);
    if (ids.length + 2 > T) {
      throw new InputError(
        `bert ${op}: "${shown(text)}" is ${ids.length} word pieces, ${ids.length + 2} with [CLS] and [SEP]; the model has ${T} positions (max_position_embeddings), so at most ${T - 2} pieces`,
      );
    }
    return ids;
  });
}

/** One candidate at one [MASK], as Hugging Face's fill-mask pipeline reports it. */
export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  /** The text with this [MASK] filled in (other masks left as [MASK]), decoded. */
  sequence: string;
}

export interface FillMaskOutput {
  text: string;
  tokens: string[];
  /** One entry per [MASK], in order: its position in [CLS] text [SEP] and the top-k. */
  masks: { position: number; candidates: FillMaskCandidate[] }[];
}

/**
 * fill-mask's input checks, pure (the CLI runs them in Node, the page again before the GPU):
 * every text fits and has a [MASK], top-k is in range, the folder has the masked-LM head with
 * the shapes of its config. Returns each text's word pieces; throws InputError.
 */
export function checkFillMask(f: BertFolder, texts: readonly string[], topK: number): number[][] {
  const encoded = encodeAll('fill-mask', f, texts);
  if (!Number.isInteger(topK) || topK < 1 || topK > f.cfg.vocabSize)
    throw new InputError(
      `bert fill-mask: --top-k ${topK} must be an integer in [1, ${f.cfg.vocabSize}] (the vocabulary size)`,
    );
  encoded.forEach((ids, i) => {
    if (!ids.includes(f.tok.maskId))
      throw new InputError(
        `bert fill-mask: "${shown(texts[i]!)}" has no [MASK] (write [MASK] where a word should be guessed)`,
      );
  });
  if (!f.params['cls.predictions.bias'])
    throw new InputError(
      'bert fill-mask: the checkpoint has no masked-LM head (cls.predictions.*); give a pretrained/ folder, not classifier/ (or a BertForMaskedLM / BertForPreTraining folder)',
    );
  // the pooler and NSP head are in the inference graph but play no part in fill-mask
  const uses = (n: string): boolean => !n.startsWith('cls.seq_relationship') && !n.startsWith('bert.pooler');
  requireParams(
    'fill-mask',
    f,
    buildPretrainGraph({ ...f.cfg, dropout: 0 }, 1, f.cfg.maxPosition).g,
    uses,
    'a pretrained/ folder has every tensor fill-mask uses',
  );
  return encoded;
}

export async function fillMaskFromFolder(
  ctx: GpuContext,
  f: BertFolder,
  texts: readonly string[],
  topK = 5,
): Promise<FillMaskOutput[]> {
  const encoded = checkFillMask(f, texts, topK);
  const inf = await BertInference.create(ctx, f.cfg, f.cfg.maxPosition, f.tok, f.params);
  try {
    const out: FillMaskOutput[] = [];
    for (let t = 0; t < texts.length; t++) {
      const res = await inf.fillMask(texts[t]!, topK);
      const full = [f.tok.clsId, ...encoded[t]!, f.tok.sepId];
      out.push({
        text: texts[t]!,
        tokens: full.map((id) => f.tok.idToToken(id)),
        masks: res.map((r) => ({
          position: r.position,
          candidates: r.candidates.map((c) => {
            const filled = encoded[t]!.slice();
            filled[r.position - 1] = c.token;
            return { score: c.score, token: c.token, token_str: c.tokenStr, sequence: f.tok.decode(filled) };
          }),
        })),
      });
    }
    return out;
  } finally {
    inf.destroy();
  }
}

export interface ClassifyOutput {
  text: string;
  label: string;
  /** Probability of each class, by the folder's label names. */
  scores: Record<string, number>;
}

/** classify's input checks, pure: a classification head with the config's shapes, texts that fit. Returns the pieces and the labels. */
export function checkClassify(f: BertFolder, texts: readonly string[]): { encoded: number[][]; labels: string[] } {
  if (!f.labels)
    throw new InputError(
      'bert classify: the checkpoint has no classification head (classifier.weight); give a classifier/ folder, not pretrained/ (or a BertForSequenceClassification folder)',
    );
  const encoded = encodeAll('classify', f, texts);
  requireParams(
    'classify',
    f,
    buildClassifierGraph(f.cfg, f.labels.length, 1, f.cfg.maxPosition).g,
    () => true,
    'a classifier/ folder has every tensor classification uses',
  );
  return { encoded, labels: f.labels };
}

export async function classifyFromFolder(
  ctx: GpuContext,
  f: BertFolder,
  texts: readonly string[],
): Promise<ClassifyOutput[]> {
  const { encoded, labels } = checkClassify(f, texts);
  const batch = Math.min(32, texts.length);
  // a trainer that never steps (its lr is irrelevant): predict() runs a forward-only graph on its weights
  const cls = await BertClassifier.create(
    ctx,
    f.cfg,
    labels.length,
    { batch, block: f.cfg.maxPosition, lr: 1e-3, steps: 1, seed: 1 },
    f.params,
  );
  try {
    const probs = await cls.predict(encoded, specialsOf(f.tok));
    return probs.map((p, i) => {
      const best = p.indexOf(Math.max(...p));
      return { text: texts[i]!, label: labels[best]!, scores: Object.fromEntries(labels.map((l, j) => [l, p[j]!])) };
    });
  } finally {
    cls.destroy();
  }
}

export interface SimilarityOutput {
  word: string;
  texts: string[];
  /** cosine[i][j]: cosine similarity of the word's contextual vectors in texts i and j. */
  cosine: number[][];
}

/** similarity's input checks, pure: texts that fit, each holding the word, and the encoder's tensors. */
export function checkSimilarity(f: BertFolder, word: string, texts: readonly string[]): void {
  const encoded = encodeAll('similarity', f, texts);
  const pieces = f.tok.encode(word);
  if (!pieces.length) throw new InputError(`bert similarity: --word "${shown(word)}" has no word pieces`);
  encoded.forEach((ids, i) => {
    if (wordAt(ids, pieces) < 0)
      throw new InputError(`bert similarity: "${shown(word)}" does not occur in "${shown(texts[i]!)}"`);
  });
  const encoderOnly = (n: string): boolean => n.startsWith('bert.embeddings.') || n.startsWith('bert.encoder.');
  requireParams(
    'similarity',
    f,
    buildPretrainGraph({ ...f.cfg, dropout: 0 }, 1, f.cfg.maxPosition).g,
    encoderOnly,
    'the encoder (bert.embeddings.*, bert.encoder.*) is needed',
  );
}

/** The contextual vector of `word` in each text (mean over its pieces) and their cosine similarities. */
export async function similarityFromFolder(
  ctx: GpuContext,
  f: BertFolder,
  word: string,
  texts: readonly string[],
): Promise<SimilarityOutput> {
  checkSimilarity(f, word, texts);
  const inf = await BertInference.create(ctx, f.cfg, f.cfg.maxPosition, f.tok, f.params);
  try {
    const vecs: Float32Array[] = [];
    for (const t of texts) vecs.push(await inf.wordVector(t, word));
    return { word, texts: [...texts], cosine: vecs.map((a) => vecs.map((b) => cosine(a, b))) };
  } finally {
    inf.destroy();
  }
}
