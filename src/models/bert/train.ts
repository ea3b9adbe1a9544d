// Pretraining the mini BERT: the one pretraining loop (BertPretraining: MLM + NSP steps that can
// stop and continue, then masked-token accuracy on held-out documents beside the unigram
// baseline). The fine-tuning loop is finetune.ts and the whole lesson as one run is run.ts; the
// BERT page, the GPU tests and the train CLI call the same loops, all with the hooks of ../hooks.ts.
import type { GpuContext } from '../../gpu/device';
import type { TrainingProgress } from '../../io/checkpoint';
import { IGNORE, type BertConfig } from './graph';
import { PretrainBatcher, type BatcherState, type PretrainBatch, type SpecialIds } from './data';
import { BertPretrainer, type PretrainStats } from './model';
import type { BertParams } from './hf';
import { BERT_DEFAULTS } from './defaults';
import type { EvalHooks, TrainHooks } from '../hooks';

type Docs = readonly (readonly number[][])[];

export interface PretrainOptions {
  batch: number;
  block: number;
  /** Peak learning rate of the schedule over `steps`. */
  lr: number;
  steps: number;
  seed: number;
  /** Held-out batches for the metrics (default BERT_DEFAULTS.evalBatches) and the seed of their masks and pairs (default seed + BERT_DEFAULTS.evalSeedOffset). */
  evalBatches?: number;
  evalSeed?: number;
}

export interface PretrainDocs {
  /** What pretraining reads (pretrainDocuments: the training documents, task documents too). */
  train: Docs;
  /** Held-out documents for the MLM/NSP metrics. */
  heldOut: Docs;
  /** Whose most frequent token the unigram baseline guesses (default `train`). */
  baseline?: Docs;
}

/** onProgress after every pretraining step; the accuracies on the steps that read them. */
export interface BertPretrainProgress extends PretrainStats {
  phase: 'pretrain';
  total: number;
  /** Real (unpadded) tokens per second since this call of train() began. */
  tokensPerSec: number;
}

/** The held-out metrics after pretraining: mean losses, accuracies over `masked` targets, unigram baseline. */
export interface BertPretrainEval {
  phase: 'pretrain';
  step: number;
  mlmLoss: number;
  nspLoss: number;
  mlmAccuracy: number;
  nspAccuracy: number;
  masked: number;
  unigram: number;
}

export interface PretrainLoopOptions extends TrainHooks<BertPretrainProgress>, EvalHooks<BertPretrainEval> {
  /** Stop after this step (default: steps), as an interrupted run would; the schedule still spans `steps`. */
  until?: number;
  /** Read the batch's accuracies on the first step, the last and every this many (default BERT_DEFAULTS.readEvery). */
  readEvery?: number;
  /** Awaited every this many steps (0 or unset: never; never at the last step). */
  checkpointEvery?: number;
  onCheckpoint?: (step: number) => Promise<void> | void;
}

/**
 * A pretraining run: the model, its batches and the steps done. train() runs steps up to the
 * step count or until shouldStop, then evaluates on the held-out documents; a later train()
 * continues where the last one stopped (same model, AdamW state and batches: the page's Resume).
 */
export class BertPretraining {
  /** Steps done (a restored run starts at its checkpoint's step). */
  step = 0;
  /** Real (unpadded) tokens of the batches trained on. */
  tokens = 0;
  private heldOut: PretrainBatch[] | null = null;

  private constructor(
    readonly ctx: GpuContext,
    readonly pre: BertPretrainer,
    readonly batcher: PretrainBatcher,
    readonly docs: PretrainDocs,
    readonly o: PretrainOptions,
  ) {}

  static async create(
    ctx: GpuContext,
    cfg: BertConfig,
    docs: PretrainDocs,
    s: SpecialIds,
    o: PretrainOptions,
  ): Promise<BertPretraining> {
    const batcher = new PretrainBatcher(docs.train, s, o.batch, o.block, o.seed);
    const pre = await BertPretrainer.create(ctx, cfg, {
      batch: o.batch,
      block: o.block,
      lr: o.lr,
      steps: o.steps,
      seed: o.seed,
    });
    return new BertPretraining(ctx, pre, batcher, docs, o);
  }

  /** Continue from a checkpoint's weights, optimizer state and progress (step, batch position). */
  restore(params: BertParams, optimizer: Uint8Array, progress: TrainingProgress): void {
    this.step = this.pre.restore(params, optimizer, progress).step;
    this.batcher.restore(progress['batcher'] as BatcherState);
  }

  async train(o: PretrainLoopOptions = {}): Promise<BertPretrainEval> {
    const last = Math.min(this.o.steps, o.until ?? this.o.steps);
    const readEvery = o.readEvery ?? BERT_DEFAULTS.readEvery;
    const first = this.step + 1;
    const t0 = performance.now();
    let tokens = 0;
    while (this.step < last) {
      const i = this.step + 1;
      const b = this.batcher.next();
      const n = b.kv_len.reduce((x, y) => x + y, 0);
      this.tokens += n;
      tokens += n;
      const st = await this.pre.step(b, i === first || i % readEvery === 0 || i === last);
      this.step = i;
      await o.onProgress?.({
        ...st,
        phase: 'pretrain',
        step: i,
        total: last,
        tokensPerSec: tokens / Math.max(1e-9, (performance.now() - t0) / 1000),
      });
      if (o.checkpointEvery && o.onCheckpoint && i % o.checkpointEvery === 0 && i < last) await o.onCheckpoint(i);
      if (o.shouldStop?.()) break;
    }
    await this.ctx.sync();
    const ev = await this.evaluate();
    await o.onEval?.(ev);
    return ev;
  }

  /** The held-out metrics now (the same batches at every call). */
  async evaluate(): Promise<BertPretrainEval> {
    const s = this.batcher.special;
    if (!this.heldOut) {
      const b = new PretrainBatcher(
        this.docs.heldOut,
        s,
        this.o.batch,
        this.o.block,
        this.o.evalSeed ?? this.o.seed + BERT_DEFAULTS.evalSeedOffset,
      );
      this.heldOut = Array.from({ length: this.o.evalBatches ?? BERT_DEFAULTS.evalBatches }, () => b.next());
    }
    const m = await this.pre.evaluate(this.heldOut);
    return {
      phase: 'pretrain',
      step: this.step,
      ...m,
      unigram: unigramBaseline(this.docs.baseline ?? this.docs.train, this.heldOut, s),
    };
  }

  destroy(): void {
    this.pre.destroy();
  }
}

/** Share of masked targets equal to the most frequent ordinary token of the training documents. */
export function unigramBaseline(trainDocs: Docs, evalBatches: readonly PretrainBatch[], s: SpecialIds): number {
  const counts = new Map<number, number>();
  for (const d of trainDocs) for (const sent of d) for (const t of sent) counts.set(t, (counts.get(t) ?? 0) + 1);
  let top = -1;
  let best = -1;
  for (const [t, c] of counts) if (t !== s.unk && c > best) [top, best] = [t, c];
  let right = 0;
  let total = 0;
  for (const b of evalBatches) for (const t of b.labels) if (t !== IGNORE) (total++, t === top && right++);
  return right / Math.max(1, total);
}
