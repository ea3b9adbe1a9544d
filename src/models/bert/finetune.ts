// Fine-tuning the mini BERT: the one fine-tuning loop (finetuneBert: a two-label [CLS] classifier
// from pretrained weights, trained for a step count or until stopped, then held-out accuracy).
// The BERT page and the whole run (run.ts) call it, with the hooks of ../hooks.ts.
import type { GpuContext } from '../../gpu/device';
import type { BertConfig } from './graph';
import { argmax, LabelledBatcher, type SpecialIds } from './data';
import { BertClassifier } from './classifier';
import type { BertParams } from './hf';
import type { EvalHooks, TrainHooks } from '../hooks';

/** onProgress after every fine-tuning step: loss and accuracy of its batch. */
export interface BertFinetuneProgress {
  phase: 'finetune';
  step: number;
  total: number;
  loss: number;
  accuracy: number;
}

export interface BertFinetuneEval {
  phase: 'finetune';
  step: number;
  /** Held-out accuracy (argmax of the class probabilities). */
  accuracy: number;
}

export interface FinetuneOptions extends TrainHooks<BertFinetuneProgress>, EvalHooks<BertFinetuneEval> {
  batch: number;
  block: number;
  lr: number;
  steps: number;
  seed: number;
  /** Train only the classifier (a linear probe). */
  freezeEncoder?: boolean;
}

type Labelled = readonly { ids: readonly number[]; label: number }[];

/**
 * Fine-tune a two-label [CLS] classifier from `init` (pretrained weights by name; none: from the
 * seed) on `data.train` for `steps` or until shouldStop, then measure it on `data.test`. The
 * caller destroys the returned classifier.
 */
export async function finetuneBert(
  ctx: GpuContext,
  cfg: BertConfig,
  data: { train: Labelled; test: Labelled },
  s: SpecialIds,
  o: FinetuneOptions,
  init?: BertParams,
): Promise<{ classifier: BertClassifier; steps: number; loss: number; accuracy: number; probs: number[][] }> {
  const batcher = new LabelledBatcher(data.train, s, o.batch, o.block, o.seed);
  const cls = await BertClassifier.create(
    ctx,
    cfg,
    2,
    { batch: o.batch, block: o.block, lr: o.lr, steps: o.steps, freezeEncoder: o.freezeEncoder, seed: o.seed },
    init,
  );
  try {
    let step = 0;
    let loss = NaN;
    while (step < o.steps) {
      const st = await cls.step(batcher.next());
      step++;
      loss = st.loss;
      await o.onProgress?.({ phase: 'finetune', step, total: o.steps, loss: st.loss, accuracy: st.accuracy });
      if (o.shouldStop?.()) break;
    }
    const probs = await cls.predict(
      data.test.map((e) => e.ids),
      s,
    );
    const accuracy =
      probs.filter((p, i) => argmax(p, 0, p.length) === data.test[i]!.label).length / Math.max(1, probs.length);
    await o.onEval?.({ phase: 'finetune', step, accuracy });
    return { classifier: cls, steps: step, loss, accuracy, probs };
  } catch (e) {
    cls.destroy();
    throw e;
  }
}
