// Training the mini BERT on the GPU: MLM + NSP pretraining (BertPretrainer) through the Trainer,
// with forward-only evaluation on held-out batches, and what the other GPU models share: the
// adapter check, the AdamW trainer, and reading and loading parameters by name. The [CLS]
// classifier is classifier.ts; fill-mask, vectors and attention maps are inference.ts.
import type { GpuContext } from '../../gpu/device';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { Trainer } from '../../optim/trainer';
import { warmupCosine } from '../../optim/schedule';
import { parseCheckpoint, type JsonObject, type TrainingProgress } from '../../io/checkpoint';
import { checkFits } from '../../gpu/limits';
import {
  bertTensorSizes,
  buildPretrainGraph,
  checkBertConfig,
  paramCount,
  type BertConfig,
  type PretrainGraph,
} from './graph';
import { argmax, maskedAccuracy, type PretrainBatch } from './data';

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
export function fitsAdapter(ctx: GpuContext, cfg: BertConfig, B: number, T: number): void {
  checkBertConfig(cfg);
  checkFits('bert', bertTensorSizes(cfg, B, T), ctx.limits);
}

export type Batch = Record<string, Int32Array>;
export type Params = Record<string, { shape: number[]; data: Float32Array }>;

/** The AdamW Trainer of a BERT graph: warm-up then cosine decay, weight decay on matrices only. */
export function trainerFor(
  ctx: GpuContext,
  g: PretrainGraph['g'],
  loss: Value,
  o: BertTrainOptions,
  outputs: Value[],
  config: Record<string, number | string>,
): Promise<Trainer> {
  const lr = warmupCosine({ lr: o.lr, warmup: o.warmup ?? Math.max(1, Math.round(o.steps / 10)), total: o.steps });
  // BERT: no weight decay on biases and LayerNorm parameters
  const decay = (p: Value): boolean => p.shape.length === 2;
  return Trainer.create(
    ctx,
    g,
    loss,
    { kind: 'adamw', lr, weightDecay: o.weightDecay ?? 0.01, decay },
    { clip: o.clip ?? 1, outputs, config },
  );
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
  private constructor(
    readonly ctx: GpuContext,
    readonly cfg: BertConfig,
    readonly o: BertTrainOptions,
    readonly m: PretrainGraph,
    readonly trainer: Trainer,
    private readonly names: string[],
  ) {}

  static async create(ctx: GpuContext, cfg: BertConfig, o: BertTrainOptions): Promise<BertPretrainer> {
    fitsAdapter(ctx, cfg, o.batch, o.block);
    const m = buildPretrainGraph(cfg, o.batch, o.block, o.seed ?? 1);
    const names = [...m.g.params.keys()]; // the model's, before the Trainer adds optimizer state
    const trainer = await trainerFor(ctx, m.g, m.loss, o, [m.mlmLoss, m.nspLoss, m.mlmLogits, m.nspLogits], {
      model: 'bert',
      task: 'pretrain',
    });
    return new BertPretrainer(ctx, cfg, o, m, trainer, names);
  }

  get params(): number {
    return paramCount(this.m.g);
  }

  /** One AdamW step; `read` also reads the logits to measure this batch's accuracies. */
  async step(b: PretrainBatch, read = false): Promise<PretrainStats> {
    const m = this.m;
    const out = await this.trainer.run(
      b as unknown as Batch,
      read ? [m.loss, m.mlmLoss, m.nspLoss, m.mlmLogits, m.nspLogits] : [m.loss, m.mlmLoss, m.nspLoss],
    );
    const s: PretrainStats = { step: this.trainer.step, loss: out[0]![0]!, mlmLoss: out[1]![0]!, nspLoss: out[2]![0]! };
    if (read) Object.assign(s, accuracies(out[3]!, out[4]!, b, this.cfg.vocabSize));
    return s;
  }

  /** Forward-only metrics on batches (no update): mean MLM loss, masked-token and NSP accuracy. */
  async evaluate(
    batches: PretrainBatch[],
  ): Promise<{ mlmLoss: number; nspLoss: number; mlmAccuracy: number; nspAccuracy: number; masked: number }> {
    if (!this.evalEx) {
      this.evalGraph = buildPretrainGraph({ ...this.cfg, dropout: 0 }, this.o.batch, this.o.block, this.o.seed ?? 1);
      const e = this.evalGraph;
      this.evalEx = await Executor.compile(this.ctx, e.g, {
        outputs: [e.mlmLoss, e.nspLoss, e.mlmLogits, e.nspLogits],
        shareParams: this.trainer.executor,
        label: 'bert.eval',
      });
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
    return {
      mlmLoss: mlm / n,
      nspLoss: nsp / n,
      mlmAccuracy: right / Math.max(1, total),
      nspAccuracy: nspRight / (n * this.o.batch),
      masked: total,
    };
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

function accuracies(
  logits: ArrayLike<number>,
  nspLogits: ArrayLike<number>,
  b: PretrainBatch,
  V: number,
): { mlmAccuracy: number; nspAccuracy: number } {
  const a = maskedAccuracy(logits, b.labels, V);
  let right = 0;
  for (let i = 0; i < b.next_sentence_label.length; i++)
    if (argmax(nspLogits, 2 * i, 2) === b.next_sentence_label[i]) right++;
  return { mlmAccuracy: a.right / Math.max(1, a.total), nspAccuracy: right / b.next_sentence_label.length };
}

/** Copy the parameters `from` has into an executor, by name (e.g. pretrained bert.* into a classifier). */
export function loadParams(ex: Executor, from: Params): string[] {
  const done: string[] = [];
  for (const [name, v] of ex.graph.params) {
    const t = from[name];
    if (!t) continue;
    if (t.data.length !== v.size)
      throw new Error(`bert: parameter "${name}" has ${t.data.length} values, the model wants ${v.size}`);
    ex.write(name, t.data);
    done.push(name);
  }
  return done;
}
