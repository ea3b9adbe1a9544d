// The mini BERT's defaults, in one table: the train CLI's flags (scripts/lib/flags.ts), the train
// job (demos/train/jobs.ts), the BERT page's form and the training loops (train.ts) all read them.
// Tests start from it and change what they test.

export const BERT_DEFAULTS = {
  /** WordPiece vocabulary size. */
  vocab: 512,
  layers: 2,
  heads: 4,
  /** Hidden size D. */
  embd: 64,
  /** Tokens per sequence (padded). */
  block: 32,
  batch: 32,
  /** Pretraining steps (MLM + NSP), then fine-tuning steps of the [CLS] classifier. */
  steps: 300,
  finetuneSteps: 1000,
  seed: 1,
  /** Peak AdamW learning rates (warm-up then cosine decay), pretraining and fine-tuning. */
  lr: 2e-3,
  finetuneLr: 1e-3,
  dropout: 0,
  freezeEncoder: false,
  /** Held-out pretraining batches for the MLM/NSP metrics, drawn with seed + evalSeedOffset. */
  evalBatches: 8,
  evalSeedOffset: 7919,
  /** Pretraining reads this batch's accuracies (not only its losses) every this many steps. */
  readEvery: 25,
  /** Also pretrain on the labelled training texts, labels unused (task-adaptive pretraining). */
  taskText: true,
  /** Pretraining steps between the checkpoints written during a CLI run. */
  checkpointEvery: 100,
} as const;
