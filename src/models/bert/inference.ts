// Using a trained mini BERT on the GPU: a forward-only graph on one sequence for fill-mask (top-k
// tokens and probabilities at each [MASK]), contextual token vectors and attention maps, sharing a
// trainer's weights or loading a folder's; wordAt and cosine compare the vectors.
import type { GpuContext } from '../../gpu/device';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import type { WordPieceTokenizer } from '../../text/wordpiece';
import { buildPretrainGraph, type BertConfig, type PretrainGraph } from './graph';
import { packPair, padBatch, softmaxRow, specialsOf } from './data';
import { fitsAdapter, loadParams, type Params } from './model';

export interface FillMaskResult {
  /** Position of the [MASK] in the encoded sequence ([CLS] = 0). */
  position: number;
  candidates: { token: number; tokenStr: string; score: number }[];
}

/**
 * Forward-only BERT on one sequence (B = 1, block T) for fill-mask, contextual vectors and
 * attention maps; shares `weightsOf`'s parameters (a pretrainer's or classifier's executor).
 */
export class BertInference {
  private constructor(
    readonly cfg: BertConfig,
    readonly T: number,
    readonly m: PretrainGraph,
    readonly ex: Executor,
    readonly tok: WordPieceTokenizer,
  ) {}

  static async create(
    ctx: GpuContext,
    cfg: BertConfig,
    T: number,
    tok: WordPieceTokenizer,
    weightsOf: Executor | Params,
  ): Promise<BertInference> {
    fitsAdapter(ctx, cfg, 1, T);
    const m = buildPretrainGraph({ ...cfg, dropout: 0 }, 1, T);
    const shared = weightsOf instanceof Executor ? weightsOf : undefined;
    const keep = m.qk.flatMap((x) => [x.q, x.k]);
    // nspLogits keeps the pooler in the plan, so every parameter can be loaded
    const ex = await Executor.compile(ctx, m.g, {
      outputs: [m.hidden, m.mlmLogits, m.nspLogits],
      keep,
      shareParams: shared,
      label: 'bert.inference',
    });
    if (!shared) loadParams(ex, weightsOf as Params);
    return new BertInference(cfg, T, m, ex, tok);
  }

  /** Encode text as [CLS] text [SEP] and run the model; returns the ids and what `read` asks. */
  private async run(text: string, read: Value[]): Promise<{ ids: number[]; out: Float32Array[] }> {
    const s = specialsOf(this.tok);
    const { ids, segments } = packPair(this.tok.encode(text), null, this.T, s);
    const enc = padBatch([{ ids, segments }], this.T, s);
    for (const [k, v] of Object.entries(enc)) this.ex.write(k, v);
    const out = (await this.ex.step({ read })) as Float32Array[];
    return { ids, out };
  }

  /** Top-k tokens and probabilities at each [MASK] (Hugging Face's fill-mask pipeline). */
  async fillMask(text: string, k = 5): Promise<FillMaskResult[]> {
    const V = this.cfg.vocabSize;
    const { ids, out } = await this.run(text, [this.m.mlmLogits]);
    const res: FillMaskResult[] = [];
    ids.forEach((id, pos) => {
      if (id !== this.tok.maskId) return;
      const p = softmaxRow(out[0]!, pos, V);
      const order = p
        .map((_, j) => j)
        .sort((a, b) => p[b]! - p[a]!)
        .slice(0, k);
      res.push({
        position: pos,
        candidates: order.map((j) => ({ token: j, tokenStr: this.tok.idToToken(j), score: p[j]! })),
      });
    });
    return res;
  }

  /** Final hidden states of every real token of [CLS] text [SEP]: ids and (n, D) rows. */
  async hidden(text: string): Promise<{ ids: number[]; tokens: string[]; vectors: Float32Array[] }> {
    const D = this.cfg.hidden;
    const { ids, out } = await this.run(text, [this.m.hidden]);
    return {
      ids,
      tokens: ids.map((i) => this.tok.idToToken(i)),
      vectors: ids.map((_, i) => out[0]!.slice(i * D, (i + 1) * D)),
    };
  }

  /** The contextual vector of `word` in `text`: the mean over its word pieces (first occurrence). */
  async wordVector(text: string, word: string): Promise<Float32Array> {
    const h = await this.hidden(text);
    const pieces = this.tok.encode(word);
    const at = wordAt(h.ids, pieces);
    if (at < 0) throw new Error(`bert: "${word}" does not occur in "${text}"`);
    const v = new Float32Array(this.cfg.hidden);
    for (let j = 0; j < pieces.length; j++) h.vectors[at + j]!.forEach((x, c) => (v[c] = v[c]! + x / pieces.length));
    return v;
  }

  /** Attention probabilities of (layer, head) for text: n×n rows over the real tokens. */
  async attention(text: string, layer: number, head: number): Promise<{ tokens: string[]; probs: number[][] }> {
    const { q, k } = this.m.qk[layer]!;
    const { ids, out } = await this.run(text, [q, k]);
    const d = this.cfg.hidden / this.cfg.heads;
    const n = ids.length;
    const off = head * this.T * d;
    const probs = [];
    for (let i = 0; i < n; i++) {
      const sc = Array.from({ length: n }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += out[0]![off + i * d + c]! * out[1]![off + j * d + c]!;
        return dot / Math.sqrt(d);
      });
      probs.push(softmaxRow(sc, 0, n));
    }
    return { tokens: ids.map((i) => this.tok.idToToken(i)), probs };
  }

  destroy(): void {
    this.ex.destroy();
  }
}

/** Index of the first occurrence of `pieces` (a word's pieces) in `ids`; −1 if absent or empty. */
export function wordAt(ids: readonly number[], pieces: readonly number[]): number {
  if (!pieces.length) return -1;
  return ids.findIndex((_, i) => pieces.every((p, j) => ids[i + j] === p));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb || 1);
}
