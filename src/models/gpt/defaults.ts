// The GPT's defaults, in one table: the train CLI's flags (scripts/lib/flags.ts), the train job
// (demos/gpt/job.ts), the GPT page's form and the training loop (train.ts) all read them.

/** Size presets for the demo ("small" is the CLI's default). */
export const GPT_PRESETS = {
  tiny: { layers: 2, heads: 2, embd: 32, block: 32 },
  small: { layers: 2, heads: 2, embd: 64, block: 64 },
  medium: { layers: 4, heads: 4, embd: 128, block: 128 },
} as const;

/**
 * The training run's defaults: on the built-in stories they reach a validation loss of 0.444
 * nats/char in about 5 minutes on SwiftShader (README, GPT: how they were picked). Also the
 * loop's own: validation windows per evaluation (`evalIters`), tokens of each sample
 * (`sampleTokens`), and the size of the built-in stories corpus in characters (`corpusChars`).
 */
export const GPT_TRAIN_DEFAULTS = {
  ...GPT_PRESETS.small,
  batch: 8,
  steps: 1500,
  lr: 2e-2,
  dropout: 0,
  tokenizer: 'char',
  vocab: 512,
  checkpointEvery: 500,
  evalIters: 8,
  sampleTokens: 200,
  corpusChars: 300_000,
  /**
   * Fine-tuning with --init --lora R: PEFT's LoraConfig defaults (lora_alpha 8, lora_dropout 0,
   * and for GPT-2 target_modules c_attn); r 0 means LoRA off (every weight trains).
   */
  lora: { r: 0, alpha: 8, dropout: 0, targets: 'c_attn' },
} as const;
