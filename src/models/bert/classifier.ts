// Fine-tuning on the GPU: a [CLS] classification head over the mini BERT
// (BertForSequenceClassification) trained through the Trainer, and the class probabilities of new
// sentences from a forward-only graph that shares the trainer's weights (no copies).
import type { GpuContext } from '../../gpu/device';
import { Executor } from '../../graph/executor';
import type { Trainer } from '../../optim/trainer';
import { buildClassifierGraph, paramCount, type BertConfig, type ClassifierGraph } from './graph';
import { argmax, packPair, padBatch, softmaxRow, type LabelledBatch, type SpecialIds } from './data';
import {
  fitsAdapter,
  loadParams,
  readParams,
  trainerFor,
  type Batch,
  type BertTrainOptions,
  type Params,
} from './model';

/** Fine-tuning a [CLS] classification head (BertForSequenceClassification). */
export class BertClassifier {
  private predictEx: Executor | null = null;
  private predictGraph: ClassifierGraph | null = null;
  private constructor(
    readonly ctx: GpuContext,
    readonly cfg: BertConfig,
    readonly numLabels: number,
    readonly o: BertTrainOptions,
    readonly m: ClassifierGraph,
    readonly trainer: Trainer,
    private readonly names: string[],
  ) {}

  /** `init`: pretrained weights by name (bert.*); the classifier starts from the seed. */
  static async create(
    ctx: GpuContext,
    cfg: BertConfig,
    numLabels: number,
    o: BertTrainOptions & { freezeEncoder?: boolean },
    init?: Params,
  ): Promise<BertClassifier> {
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
    for (let i = 0; i < b.labels.length; i++)
      if (argmax(logits!, i * this.numLabels, this.numLabels) === b.labels[i]) right++;
    return { step: this.trainer.step, loss: loss![0]!, accuracy: right / b.labels.length };
  }

  /** Class probabilities of token-id sentences (no [CLS]/[SEP]), in chunks of the batch size. */
  async predict(sentences: readonly (readonly number[])[], s: SpecialIds): Promise<number[][]> {
    const B = this.o.batch;
    const T = this.o.block;
    if (!this.predictEx) {
      this.predictGraph = buildClassifierGraph({ ...this.cfg, dropout: 0 }, this.numLabels, B, T, {
        seed: this.o.seed,
      });
      this.predictEx = await Executor.compile(this.ctx, this.predictGraph.g, {
        outputs: [this.predictGraph.logits],
        shareParams: this.trainer.executor,
        label: 'bert.classify',
      });
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
    const probs = await this.predict(
      examples.map((e) => e.ids),
      s,
    );
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
