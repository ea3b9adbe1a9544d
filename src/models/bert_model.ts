// Running the mini BERT: pretraining (MLM + NSP) and fine-tuning ([CLS] classifier) through the
// Trainer, evaluation on held-out batches, and the uses of a trained model — fill-mask (top-k
// tokens and probabilities at each [MASK]), contextual token vectors, attention maps and
// classification of new text. Forward-only graphs share the trainers' weights (no copies).
import type { GpuContext } from '../gpu/device';
import type { Value } from '../graph/graph';
import { Executor } from '../graph/executor';
import { Trainer } from '../optim/trainer';
import { warmupCosine } from '../optim/schedule';
import { parseCheckpoint, type JsonObject, type TrainingProgress } from '../io/checkpoint';
import type { WordPieceTokenizer } from '../text/wordpiece';
import { checkFits } from '../gpu/limits';
import { bertTensorSizes, buildClassifierGraph, buildPretrainGraph, checkBertConfig, paramCount, type BertConfig, type ClassifierGraph, type PretrainGraph } from './bert';
import { argmax, maskedAccuracy, packPair, padBatch, softmaxRow, type LabelledBatch, type PretrainBatch, type SpecialIds } from './bert_batch';

export interface BertTrainOptions {
  /** Batch size B and block T (sequences are padded to T). */
  batch: number;
  block: number;
  /** Peak AdamW learning rate (warm-up then cosine decay over `steps`). */
  lr: number;
  steps: number;
  warmup?: number;
  weightDecay?: number;
  clip?: number;
  seed?: number;
}

/** Too large for this adapter: say so (tensor, size, limit) before building anything. */
function fitsAdapter(ctx: GpuContext, cfg: BertConfig, B: number, T: number): void {
  checkBertConfig(cfg);
  checkFits('bert', bertTensorSizes(cfg, B, T), ctx.limits);
}

export function specialsOf(tok: WordPieceTokenizer): SpecialIds {
  return { pad: tok.padId, unk: tok.unkId, cls: tok.clsId, sep: tok.sepId, mask: tok.maskId, vocabSize: tok.vocabSize };
}

type Batch = Record<string, Int32Array>;
type Params = Record<string, { shape: number[]; data: Float32Array }>;

function trainerFor(ctx: GpuContext, g: PretrainGraph['g'], loss: Value, o: BertTrainOptions, outputs: Value[], config: Record<string, number | string>): Promise<Trainer> {
  const lr = warmupCosine({ lr: o.lr, warmup: o.warmup ?? Math.max(1, Math.round(o.steps / 10)), total: o.steps });
  // BERT: no weight decay on biases and LayerNorm parameters
  const decay = (p: Value): boolean => p.shape.length === 2;
  return Trainer.create(ctx, g, loss, { kind: 'adamw', lr, weightDecay: o.weightDecay ?? 0.01, decay }, { clip: o.clip ?? 1, outputs, config });
}

/** Read every parameter of an executor by name. */
export async function readParams(ex: Executor, names: Iterable<string>): Promise<Params> {
  const out: Params = {};
  for (const n of names) {
    const v = ex.graph.params.get(n)!;
    out[n] = { shape: [...v.shape], data: (await ex.readParam(n)) as Float32Array };
  }
  return out;
}

export interface PretrainStats {
  step: number;
  loss: number;
  mlmLoss: number;
  nspLoss: number;
  /** Masked-token and NSP accuracy of this batch (before the update), when read. */
  mlmAccuracy?: number;
  nspAccuracy?: number;
}

/** MLM + NSP pretraining (BertForPreTraining). */
export class BertPretrainer {
  private evalEx: Executor | null = null;
  private evalGraph: PretrainGraph | null = null;
  private constructor(readonly ctx: GpuContext, readonly cfg: BertConfig, readonly o: BertTrainOptions, readonly m: PretrainGraph, readonly trainer: Trainer, private readonly names: string[]) {}

  static async create(ctx: GpuContext, cfg: BertConfig, o: BertTrainOptions): Promise<BertPretrainer> {
    fitsAdapter(ctx, cfg, o.batch, o.block);
    const m = buildPretrainGraph(cfg, o.batch, o.block, o.seed ?? 1);
    const names = [...m.g.params.keys()]; // the model's, before the Trainer adds optimizer state
    const trainer = await trainerFor(ctx, m.g, m.loss, o, [m.mlmLoss, m.nspLoss, m.mlmLogits, m.nspLogits], { model: 'bert', task: 'pretrain' });
    return new BertPretrainer(ctx, cfg, o, m, trainer, names);
  }

  get params(): number {
    return paramCount(this.m.g);
  }

  /** One AdamW step; `read` also reads the logits to measure this batch's accuracies. */
  async step(b: PretrainBatch, read = false): Promise<PretrainStats> {
    const m = this.m;
    const out = await this.trainer.run(b as unknown as Batch, read ? [m.loss, m.mlmLoss, m.nspLoss, m.mlmLogits, m.nspLogits] : [m.loss, m.mlmLoss, m.nspLoss]);
    const s: PretrainStats = { step: this.trainer.step, loss: out[0]![0]!, mlmLoss: out[1]![0]!, nspLoss: out[2]![0]! };
    if (read) Object.assign(s, accuracies(out[3]!, out[4]!, b, this.cfg.vocabSize));
    return s;
  }

  /** Forward-only metrics on batches (no update): mean MLM loss, masked-token and NSP accuracy. */
  async evaluate(batches: PretrainBatch[]): Promise<{ mlmLoss: number; nspLoss: number; mlmAccuracy: number; nspAccuracy: number; masked: number }> {
    if (!this.evalEx) {
      this.evalGraph = buildPretrainGraph({ ...this.cfg, dropout: 0 }, this.o.batch, this.o.block, this.o.seed ?? 1);
      const e = this.evalGraph;
      this.evalEx = await Executor.compile(this.ctx, e.g, { outputs: [e.mlmLoss, e.nspLoss, e.mlmLogits, e.nspLogits], shareParams: this.trainer.executor, label: 'bert.eval' });
    }
    const e = this.evalGraph!;
    let mlm = 0;
    let nsp = 0;
    let right = 0;
    let total = 0;
    let nspRight = 0;
    for (const b of batches) {
      for (const [k, v] of Object.entries(b)) this.evalEx.write(k, v);
      const [l1, l2, logits, nl] = await this.evalEx.step({ read: [e.mlmLoss, e.nspLoss, e.mlmLogits, e.nspLogits] });
      mlm += l1![0]!;
      nsp += l2![0]!;
      const a = maskedAccuracy(logits!, b.labels, this.cfg.vocabSize);
      right += a.right;
      total += a.total;
      for (let i = 0; i < this.o.batch; i++) if (argmax(nl!, 2 * i, 2) === b.next_sentence_label[i]) nspRight++;
    }
    const n = batches.length;
    return { mlmLoss: mlm / n, nspLoss: nsp / n, mlmAccuracy: right / Math.max(1, total), nspAccuracy: nspRight / (n * this.o.batch), masked: total };
  }

  /** The model's parameters by name (no optimizer state). */
  weights(): Promise<Params> {
    return readParams(this.trainer.executor, this.names);
  }

  /** AdamW state as `optimizer.safetensors` (our names and layouts) and the progress to save beside it. */
  async optimizerState(progress: JsonObject = {}): Promise<{ optimizer: Uint8Array; progress: TrainingProgress }> {
    const files = await this.trainer.save(progress);
    return { optimizer: files['optimizer.safetensors'], progress: parseCheckpoint(files).progress };
  }

  /** Continue from weights (our layouts), `optimizerState()`'s file and progress: the run goes on exactly. */
  restore(params: Params, optimizer: Uint8Array, progress: TrainingProgress): TrainingProgress {
    return this.trainer.restore(params, optimizer, progress);
  }

  destroy(): void {
    this.evalEx?.destroy();
    this.trainer.destroy();
  }
}

function accuracies(logits: ArrayLike<number>, nspLogits: ArrayLike<number>, b: PretrainBatch, V: number): { mlmAccuracy: number; nspAccuracy: number } {
  const a = maskedAccuracy(logits, b.labels, V);
  let right = 0;
  for (let i = 0; i < b.next_sentence_label.length; i++) if (argmax(nspLogits, 2 * i, 2) === b.next_sentence_label[i]) right++;
  return { mlmAccuracy: a.right / Math.max(1, a.total), nspAccuracy: right / b.next_sentence_label.length };
}

/** Copy the parameters `from` has into an executor, by name (e.g. pretrained bert.* into a classifier). */
export function loadParams(ex: Executor, from: Params): string[] {
  const done: string[] = [];
  for (const [name, v] of ex.graph.params) {
    const t = from[name];
    if (!t) continue;
    if (t.data.length !== v.size) throw new Error(`bert: parameter "${name}" has ${t.data.length} values, the model wants ${v.size}`);
    ex.write(name, t.data);
    done.push(name);
  }
  return done;
}

/** Fine-tuning a [CLS] classification head (BertForSequenceClassification). */
export class BertClassifier {
  private predictEx: Executor | null = null;
  private predictGraph: ClassifierGraph | null = null;
  private constructor(readonly ctx: GpuContext, readonly cfg: BertConfig, readonly numLabels: number, readonly o: BertTrainOptions, readonly m: ClassifierGraph, readonly trainer: Trainer, private readonly names: string[]) {}

  /** `init`: pretrained weights by name (bert.*); the classifier starts from the seed. */
  static async create(ctx: GpuContext, cfg: BertConfig, numLabels: number, o: BertTrainOptions & { freezeEncoder?: boolean }, init?: Params): Promise<BertClassifier> {
    fitsAdapter(ctx, cfg, o.batch, o.block);
    const m = buildClassifierGraph(cfg, numLabels, o.batch, o.block, { seed: o.seed, freezeEncoder: o.freezeEncoder });
    const names = [...m.g.params.keys()];
    const trainer = await trainerFor(ctx, m.g, m.loss, o, [m.logits], { model: 'bert', task: 'classify', numLabels });
    if (init) loadParams(trainer.executor, init);
    return new BertClassifier(ctx, cfg, numLabels, o, m, trainer, names);
  }

  get params(): number {
    return paramCount(this.m.g);
  }

  async step(b: LabelledBatch): Promise<{ step: number; loss: number; accuracy: number }> {
    const [loss, logits] = await this.trainer.run(b as unknown as Batch, [this.trainer.loss, this.m.logits]);
    let right = 0;
    for (let i = 0; i < b.labels.length; i++) if (argmax(logits!, i * this.numLabels, this.numLabels) === b.labels[i]) right++;
    return { step: this.trainer.step, loss: loss![0]!, accuracy: right / b.labels.length };
  }

  /** Class probabilities of token-id sentences (no [CLS]/[SEP]), in chunks of the batch size. */
  async predict(sentences: readonly (readonly number[])[], s: SpecialIds): Promise<number[][]> {
    const B = this.o.batch;
    const T = this.o.block;
    if (!this.predictEx) {
      this.predictGraph = buildClassifierGraph({ ...this.cfg, dropout: 0 }, this.numLabels, B, T, { seed: this.o.seed });
      this.predictEx = await Executor.compile(this.ctx, this.predictGraph.g, { outputs: [this.predictGraph.logits], shareParams: this.trainer.executor, label: 'bert.classify' });
    }
    const out: number[][] = [];
    for (let i = 0; i < sentences.length; i += B) {
      const chunk = sentences.slice(i, i + B);
      const seqs = chunk.map((ids) => packPair(ids, null, T, s));
      while (seqs.length < B) seqs.push(packPair([], null, T, s));
      const enc = padBatch(seqs, T, s);
      for (const [k, v] of Object.entries(enc)) this.predictEx.write(k, v);
      const [logits] = await this.predictEx.step({ read: [this.predictGraph!.logits] });
      for (let j = 0; j < chunk.length; j++) out.push(softmaxRow(logits!, j, this.numLabels));
    }
    return out;
  }

  /** Accuracy on labelled sentences. */
  async accuracy(examples: readonly { ids: readonly number[]; label: number }[], s: SpecialIds): Promise<number> {
    const probs = await this.predict(examples.map((e) => e.ids), s);
    return probs.filter((p, i) => argmax(p, 0, p.length) === examples[i]!.label).length / Math.max(1, examples.length);
  }

  /** The model's parameters by name (no optimizer state). */
  weights(): Promise<Params> {
    return readParams(this.trainer.executor, this.names);
  }

  destroy(): void {
    this.predictEx?.destroy();
    this.trainer.destroy();
  }
}

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
  private constructor(readonly cfg: BertConfig, readonly T: number, readonly m: PretrainGraph, readonly ex: Executor, readonly tok: WordPieceTokenizer) {}

  static async create(ctx: GpuContext, cfg: BertConfig, T: number, tok: WordPieceTokenizer, weightsOf: Executor | Params): Promise<BertInference> {
    fitsAdapter(ctx, cfg, 1, T);
    const m = buildPretrainGraph({ ...cfg, dropout: 0 }, 1, T);
    const shared = weightsOf instanceof Executor ? weightsOf : undefined;
    const keep = m.qk.flatMap((x) => [x.q, x.k]);
    // nspLogits keeps the pooler in the plan, so every parameter can be loaded
    const ex = await Executor.compile(ctx, m.g, { outputs: [m.hidden, m.mlmLogits, m.nspLogits], keep, shareParams: shared, label: 'bert.inference' });
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
      const order = p.map((_, j) => j).sort((a, b) => p[b]! - p[a]!).slice(0, k);
      res.push({ position: pos, candidates: order.map((j) => ({ token: j, tokenStr: this.tok.idToToken(j), score: p[j]! })) });
    });
    return res;
  }

  /** Final hidden states of every real token of [CLS] text [SEP]: ids and (n, D) rows. */
  async hidden(text: string): Promise<{ ids: number[]; tokens: string[]; vectors: Float32Array[] }> {
    const D = this.cfg.hidden;
    const { ids, out } = await this.run(text, [this.m.hidden]);
    return { ids, tokens: ids.map((i) => this.tok.idToToken(i)), vectors: ids.map((_, i) => out[0]!.slice(i * D, (i + 1) * D)) };
  }

  /** The contextual vector of `word` in `text`: the mean over its word pieces (first occurrence). */
  async wordVector(text: string, word: string): Promise<Float32Array> {
    const h = await this.hidden(text);
    const pieces = this.tok.encode(word);
    const at = wordAt(h.ids, pieces);
    if (at < 0) throw new Error(`bert: "${word}" does not occur in "${text}"`);
    const v = new Float32Array(this.cfg.hidden);
    for (let j = 0; j < pieces.length; j++) h.vectors[at + j]!.forEach((x, c) => (v[c] += x / pieces.length));
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
