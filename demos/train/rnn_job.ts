// The `rnn`, `lstm` and `gru` training jobs of the train runner page (demos/train/jobs.ts) and so
// of `npm run train -- rnn|lstm|gru`: the built-in stories corpus (the GPT's, src/text/stories.ts)
// or --corpus FILE, char or BPE tokens, the model of src/models/rnn/; returns the metrics (val
// loss beside the baselines, the gradient lesson's curves) and the checkpoint files
// (model.safetensors, optimizer.safetensors, config.json, tokenizer.json).
import { rnn, type GpuContext } from '../../src/index';
import { lmCorpus, lmHooks, lmMetrics, type LmJobProgress } from '../common/lm_job';

const R = rnn.RNN_TRAIN_DEFAULTS;

type FlagValue = string | number | boolean;

export interface RnnJobInput {
  model: string;
  seed: number;
  steps: number;
  options: Record<string, FlagValue>;
  files: Record<string, string>;
}

export type RnnJobProgress = LmJobProgress;

export async function rnnJob(ctx: GpuContext, job: RnnJobInput, progress: (p: RnnJobProgress) => void) {
  const opt = job.options;
  const num = (k: string, d: number): number => (typeof opt[k] === 'number' ? (opt[k] as number) : d);
  const cell = job.model as rnn.RnnCell;
  const { text: corpus, stories } = lmCorpus(job.files);
  const run = await rnn.trainRnn(ctx, {
    cell,
    text: corpus,
    tokenizer: opt['tokenizer'] === 'bpe' ? 'bpe' : 'char',
    vocab: num('vocab', R.vocab),
    hidden: num('hidden', R.hidden),
    layers: num('layers', R.layers),
    block: num('block', R.block),
    batch: num('batch', R.batch),
    steps: job.steps,
    lr: num('lr', R.lr[cell]),
    seed: job.seed,
    prompt: typeof opt['prompt'] === 'string' ? (opt['prompt'] as string) : undefined,
    ...lmHooks(progress),
  });
  try {
    const checkpoint = await rnn.saveRnnRun(run);
    return {
      metrics: lmMetrics(cell, run, stories),
      checkpoint,
    };
  } finally {
    run.model.destroy();
  }
}
