// The recurrent LMs' defaults, in one table: the train CLI's flags (scripts/lib/flags.ts), the
// train jobs (demos/train/rnn_job.ts), the tests and the training loop (train.ts) read them.

/**
 * The training run's defaults for `npm run train -- rnn|lstm|gru` on the built-in stories (the
 * GPT's corpus, GPT_TRAIN_DEFAULTS.corpusChars characters, char tokens): sized so an LSTM run
 * takes a few minutes on SwiftShader (README, Recurrent models). `evalIters` validation
 * batches per evaluation, `sampleTokens` per sample, `gradNormWindow` the window of the gradient
 * lesson in metrics.json.
 */
export const RNN_TRAIN_DEFAULTS = {
  hidden: 128,
  layers: 1,
  block: 32,
  batch: 32,
  steps: 300,
  /** Peak learning rate per cell (300 steps on the stories: README, Recurrent models, how they were picked). */
  lr: { rnn: 2e-2, lstm: 4e-2, gru: 4e-2 },
  clip: 1,
  tokenizer: 'char',
  vocab: 512,
  evalIters: 8,
  sampleTokens: 200,
  gradNormWindow: 32,
} as const;
