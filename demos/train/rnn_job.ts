// The `rnn`, `lstm` and `gru` training jobs of the train runner page (demos/train/jobs.ts) and so
// of `npm run train -- rnn|lstm|gru`: the built-in stories corpus (the GPT's, src/text/stories.ts)
// or --corpus FILE, char or BPE tokens, the model of src/models/rnn/; returns the metrics (val
// loss beside the baselines, the gradient lesson's curves) and the checkpoint files
// (model.safetensors, optimizer.safetensors, config.json, tokenizer.json).
import { gpt, rnn, text, type GpuContext } from '../../src/index';

const R = rnn.RNN_TRAIN_DEFAULTS;

type FlagValue = string | number | boolean;

export interface RnnJobInput {
  model: string;
  seed: number;
  steps: number;
  options: Record<string, FlagValue>;
  files: Record<string, string>;
}

export interface RnnJobProgress {
  step: number;
  total: number;
  info: Record<string, number | string>;
}

export async function rnnJob(ctx: GpuContext, job: RnnJobInput, progress: (p: RnnJobProgress) => void) {
  const opt = job.options;
  const num = (k: string, d: number): number => (typeof opt[k] === 'number' ? (opt[k] as number) : d);
  const cell = job.model as rnn.RnnCell;
  const stories =
    job.files['corpus'] === undefined
      ? text.generateStories({ seed: 1, targetChars: gpt.GPT_TRAIN_DEFAULTS.corpusChars })
      : null;
  let val = NaN;
  const run = await rnn.trainRnn(ctx, {
    cell,
    text: job.files['corpus'] ?? stories!.text,
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
    onEval: (e) => {
      val = e.valLoss;
    },
    onProgress: (p) =>
      progress({
        step: p.step,
        total: p.total,
        info: {
          ...(p.loss !== null ? { loss: p.loss } : {}),
          ...(Number.isNaN(val) ? {} : { val }),
          'tok/s': Math.round(p.tokensPerSec),
        },
      }),
  });
  try {
    const checkpoint = await rnn.saveRnnRun(run);
    const floor = stories ? text.splitStories(stories).valNatsPerChar : null;
    return {
      metrics: {
        model: cell,
        ...run.metrics,
        corpus: stories ? `built-in stories (seed 1, ${stories.chars} chars)` : 'file',
        ...(floor !== null ? { entropy_floor_nats_per_char: floor } : {}),
        loss: run.metrics.val_loss,
        accuracy: run.metrics.val_accuracy,
        lossCurve: run.history.train.map(([, l]) => l),
        valCurve: run.history.val,
      },
      checkpoint,
    };
  } finally {
    run.model.destroy();
  }
}
