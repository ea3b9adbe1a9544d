// What the language-model training jobs (GPT, RNN/LSTM/GRU: demos/gpt/job.ts,
// demos/train/rnn_job.ts) share: the built-in stories corpus or --corpus FILE, the progress hooks
// that put loss, val and tokens/s on the CLI's progress line, and the metrics every LM run reports
// (val loss beside the stories' entropy floor, the loss curves).
import { gpt, text } from '../../src/index';

export interface LmJobProgress {
  step: number;
  total: number;
  info: Record<string, number | string>;
}

/** --corpus FILE's text, or the built-in seeded stories (then also returned, for the entropy floor). */
export function lmCorpus(files: Readonly<Record<string, string>>): {
  text: string;
  stories: text.StoriesCorpus | null;
} {
  const corpus = files['corpus'];
  if (corpus !== undefined) return { text: corpus, stories: null };
  const stories = text.generateStories({ seed: 1, targetChars: gpt.GPT_TRAIN_DEFAULTS.corpusChars });
  return { text: stories.text, stories };
}

/** onEval / onProgress hooks that report loss, the last val loss and tokens/s. */
export function lmHooks(progress: (p: LmJobProgress) => void): {
  onEval: (e: { valLoss: number }) => void;
  onProgress: (p: { step: number; total: number; loss: number | null; tokensPerSec: number }) => void;
} {
  let val = NaN;
  return {
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
  };
}

/** The metrics of an LM run as the train CLI writes them (loss and accuracy are validation's). */
export function lmMetrics(
  model: string,
  run: {
    metrics: Record<string, unknown> & { val_loss: number; val_accuracy: number };
    history: { train: [number, number][]; val: [number, number][] };
  },
  stories: text.StoriesCorpus | null,
): Record<string, unknown> & { loss: number; accuracy: number } {
  // the generator's own entropy (nats/char) on held-out stories: the floor for a char model
  const floor = stories ? text.splitStories(stories).valNatsPerChar : null;
  return {
    model,
    ...run.metrics,
    corpus: stories ? `built-in stories (seed 1, ${stories.chars} chars)` : 'file',
    ...(floor !== null ? { entropy_floor_nats_per_char: floor } : {}),
    loss: run.metrics.val_loss,
    accuracy: run.metrics.val_accuracy,
    lossCurve: run.history.train.map(([, l]) => l),
    valCurve: run.history.val,
  };
}
