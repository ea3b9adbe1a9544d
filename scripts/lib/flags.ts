// The train CLI's flags, in one table (`npm run train -- <model> [flags]`, parsed by
// scripts/lib/cli.ts). Every model shares --seed, --steps, --out and --force (COMMON_FLAGS);
// each model adds its own flags in MODELS (a later model, e.g. word2vec with `--corpus FILE`,
// adds an entry here and a job in demos/train/jobs.ts). Flag kinds: int, number, string,
// choice, bool and file (a path that must exist; scripts/train.ts reads it and hands the text to
// the page). Numbers have a range: `min` on the flag, and a `max` on the flag or, for the size
// flags every model shares (--steps, --layers, --batch, …), in FLAG_MAX below. What needs more
// than one flag (embd divisible by heads, a corpus long enough for --block) is checked by
// scripts/lib/validate.ts. Defaults come from each model's one table
// (src/models/<model>/defaults.ts), which the pages and the training loops read too.

import { gpt, bert, word2vec, classic, rnn } from '../../src/index';

const G = gpt.GPT_TRAIN_DEFAULTS;
const B = bert.BERT_DEFAULTS;
const W = word2vec.WORD2VEC_DEFAULTS;
const P = classic.PERCEPTRON_DEFAULTS;
const M = classic.MLP_DEFAULTS;
const R = rnn.RNN_TRAIN_DEFAULTS;

export type FlagValue = string | number | boolean;

export interface FlagSpec {
  /** Long name without dashes, e.g. "lr" for --lr. */
  name: string;
  kind: 'int' | 'number' | 'string' | 'choice' | 'bool' | 'file';
  help: string;
  default?: FlagValue;
  choices?: readonly string[];
  /** Smallest allowed value (int / number). */
  min?: number;
  /** For `number`: the value must be greater than min, not equal. */
  minExclusive?: boolean;
  /** The value's name in the usage text (default DIR for strings, FILE for files, N for numbers). */
  metavar?: string;
  /** Largest allowed value (default: FLAG_MAX[name], if any). */
  max?: number;
  /** For `number`: the value must be less than max, not equal. */
  maxExclusive?: boolean;
}

/**
 * Upper limits of the flags, by name, for every model that has the flag: a value past these is
 * a typo or could not fit any adapter (what fits this adapter is checked in the page before
 * anything is allocated, src/gpu/limits.ts). [limit, exclusive].
 */
export const FLAG_MAX: Readonly<Record<string, readonly [number, boolean]>> = {
  seed: [2 ** 32 - 1, false],
  steps: [10_000_000, false],
  'finetune-steps': [10_000_000, false],
  'checkpoint-every': [10_000_000, false],
  layers: [64, false],
  heads: [64, false],
  embd: [4096, false],
  hidden: [4096, false],
  dim: [4096, false],
  block: [8192, false],
  batch: [65_536, false],
  vocab: [65_536, false],
  window: [100, false],
  negative: [100, false],
  epochs: [1000, false],
  'min-count': [1_000_000_000, false],
  'corpus-tokens': [100_000_000, false],
  lr: [10, false],
  'finetune-lr': [10, false],
  alpha: [10, false],
  dropout: [1, true],
  lora: [4096, false],
  'lora-alpha': [65_536, false],
  'lora-dropout': [1, true],
  sample: [1, false],
  'stop-loss': [100, false],
};

/** The flag's upper limit and whether it is exclusive, if it has one. */
export function maxOf(f: FlagSpec): { max: number; exclusive: boolean } | null {
  if (f.max !== undefined) return { max: f.max, exclusive: f.maxExclusive === true };
  const m = FLAG_MAX[f.name];
  return m ? { max: m[0], exclusive: m[1] } : null;
}

export interface ModelSpec {
  name: string;
  summary: string;
  /** Default of --steps and what one step is for this model. */
  steps: { default: number; unit: string };
  flags: readonly FlagSpec[];
}

export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'seed', kind: 'int', min: 0, default: 1, help: 'seed of the initial weights and any randomness' },
  { name: 'steps', kind: 'int', min: 1, help: 'most training steps (default per model)' },
  { name: 'out', kind: 'string', help: 'output folder (default: a fresh folder under runs/)' },
  {
    name: 'force',
    kind: 'bool',
    help: 'write into an --out folder that is not empty (its files of the same names are replaced)',
  },
];

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'perceptron',
    summary:
      "the perceptron rule on a logic gate from the lesson's start w = (0.3, −0.1), b = 0.2 (so --seed changes nothing), until an epoch makes no error",
    steps: { default: P.steps, unit: 'one update on one example (run in whole epochs of four)' },
    flags: [
      {
        name: 'gate',
        kind: 'choice',
        choices: ['and', 'or', 'nand', 'xor'],
        default: P.gate,
        help: 'the gate to learn (xor never converges)',
      },
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: P.eta, help: 'learning rate η' },
    ],
  },
  {
    name: 'mlp',
    summary: 'XOR with a 2-H-1 MLP (tanh hidden, sigmoid output), binary cross-entropy, Adam',
    steps: { default: M.steps, unit: 'one Adam step on all four examples' },
    flags: [
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: M.lr, help: 'Adam learning rate' },
      { name: 'hidden', kind: 'int', min: 1, default: M.hidden, help: 'hidden units' },
      {
        name: 'stop-loss',
        kind: 'number',
        min: 0,
        default: M.stopLoss,
        help: 'stop once all four are right and the loss is below this (0: run every step)',
      },
    ],
  },
  {
    name: 'word2vec',
    summary:
      'word vectors (skip-gram or CBOW, negative sampling) on the built-in relation corpus or --corpus FILE; writes vectors.txt (word2vec text format)',
    steps: { default: 1, unit: 'unused (word2vec runs --epochs passes over the corpus)' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'UTF-8 text to train on (default: the built-in relation corpus)' },
      {
        name: 'questions',
        kind: 'file',
        help: 'analogy questions (questions-words.txt format) for analogy_accuracy (default: the built-in ones)',
      },
      { name: 'mode', kind: 'choice', choices: ['skipgram', 'cbow'], default: W.mode, help: 'architecture' },
      { name: 'dim', kind: 'int', min: 1, default: W.dim, help: 'vector size' },
      {
        name: 'window',
        kind: 'int',
        min: 1,
        default: W.window,
        help: 'largest context reach (drawn in 1..window per word)',
      },
      { name: 'negative', kind: 'int', min: 0, default: W.negative, help: 'negative samples per example' },
      { name: 'epochs', kind: 'int', min: 1, default: W.epochs, help: 'passes over the corpus' },
      { name: 'min-count', kind: 'int', min: 1, default: W.minCount, help: 'drop words rarer than this' },
      {
        name: 'sample',
        kind: 'number',
        min: 0,
        default: W.sample,
        help: 'subsampling threshold of frequent words (0: off)',
      },
      {
        name: 'alpha',
        kind: 'number',
        min: 0,
        minExclusive: true,
        help: `starting learning rate (default ${W.alpha.skipgram} skip-gram, ${W.alpha.cbow} CBOW)`,
      },
      {
        name: 'batch',
        kind: 'int',
        min: 1,
        help: `examples per GPU step: skip-gram pairs or CBOW windows (default ${W.batch})`,
      },
      {
        name: 'corpus-tokens',
        kind: 'int',
        min: 100,
        default: W.corpusTokens,
        help: 'size of the built-in corpus in tokens',
      },
    ],
  },
  {
    name: 'bert',
    summary:
      'a mini BERT: WordPiece, MLM + NSP pretraining, then a [CLS] sentiment classifier; writes Hugging Face files (pretrained/ and classifier/)',
    steps: { default: B.steps, unit: 'one AdamW pretraining step on a batch of sentence pairs' },
    flags: [
      {
        name: 'corpus',
        kind: 'file',
        help: 'pretraining text: documents separated by blank lines, a sentence per line (default: built-in)',
      },
      {
        name: 'labels',
        kind: 'file',
        help: 'label<TAB>text lines, label 0 or 1, split 80/20 (default: built-in sentiment set)',
      },
      { name: 'vocab', kind: 'int', min: 8, default: B.vocab, help: 'WordPiece vocabulary size' },
      { name: 'layers', kind: 'int', min: 1, default: B.layers, help: 'encoder layers' },
      { name: 'heads', kind: 'int', min: 1, default: B.heads, help: 'attention heads' },
      { name: 'embd', kind: 'int', min: 4, default: B.embd, help: 'hidden size D (D / heads a multiple of 4)' },
      { name: 'block', kind: 'int', min: 4, default: B.block, help: 'tokens per sequence (padded)' },
      { name: 'batch', kind: 'int', min: 1, default: B.batch, help: 'sequences per batch' },
      { name: 'finetune-steps', kind: 'int', min: 0, default: B.finetuneSteps, help: 'classifier fine-tuning steps' },
      {
        name: 'lr',
        kind: 'number',
        min: 0,
        minExclusive: true,
        default: B.lr,
        help: 'peak pretraining learning rate (warm-up, cosine)',
      },
      {
        name: 'finetune-lr',
        kind: 'number',
        min: 0,
        minExclusive: true,
        default: B.finetuneLr,
        help: 'peak fine-tuning learning rate',
      },
      { name: 'dropout', kind: 'number', min: 0, default: B.dropout, help: 'hidden dropout' },
      { name: 'freeze-encoder', kind: 'bool', help: 'fine-tune only the classifier (a linear probe)' },
      {
        name: 'task-text',
        kind: 'choice',
        choices: ['on', 'off'],
        default: B.taskText ? 'on' : 'off',
        help: 'also pretrain on the labelled training texts, labels unused (task-adaptive pretraining)',
      },
      {
        name: 'resume',
        kind: 'string',
        help: 'continue pretraining from a bert run folder (weights, AdamW state, step, batch order) up to --steps, then fine-tune',
      },
      {
        name: 'checkpoint-every',
        kind: 'int',
        min: 0,
        default: B.checkpointEvery,
        help: 'write pretrained/ into --out every N pretraining steps, so a run that fails later can be resumed (0: only at the end)',
      },
    ],
  },
  {
    name: 'gpt',
    summary:
      'a mini GPT (nanoGPT architecture, AdamW, warmup + cosine) on the built-in stories or --corpus FILE; writes Hugging Face GPT-2 files and prints a sample',
    steps: { default: G.steps, unit: 'one AdamW step on --batch windows of --block tokens' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'a UTF-8 text file to train on (default: the built-in seeded stories)' },
      {
        name: 'tokenizer',
        kind: 'choice',
        choices: ['char', 'bpe'],
        default: G.tokenizer,
        help: 'character-level or byte-level BPE trained on the corpus',
      },
      { name: 'vocab', kind: 'int', min: 257, default: G.vocab, help: 'BPE vocabulary size (256 bytes + merges)' },
      { name: 'layers', kind: 'int', min: 1, default: G.layers, help: 'transformer blocks' },
      {
        name: 'heads',
        kind: 'int',
        min: 1,
        default: G.heads,
        help: 'attention heads (embd/heads must be a multiple of 4)',
      },
      { name: 'embd', kind: 'int', min: 4, default: G.embd, help: 'embedding size' },
      {
        name: 'block',
        kind: 'int',
        min: 2,
        default: G.block,
        help: 'context length (with --init: the training window, at most the model’s context)',
      },
      { name: 'batch', kind: 'int', min: 1, default: G.batch, help: 'windows per step' },
      {
        name: 'lr',
        kind: 'number',
        min: 0,
        minExclusive: true,
        default: G.lr,
        help: 'peak learning rate (warmup, then cosine to lr/10)',
      },
      { name: 'dropout', kind: 'number', min: 0, default: G.dropout, help: 'dropout probability' },
      {
        name: 'prompt',
        kind: 'string',
        metavar: 'TEXT',
        help: 'prompt of the final sample (default: the start of the validation text)',
      },
      {
        name: 'resume',
        kind: 'string',
        help: 'continue from a checkpoint folder written by a gpt run (model, optimizer and data position; a LoRA run also needs --init)',
      },
      {
        name: 'init',
        kind: 'string',
        metavar: 'DIR',
        help: 'start from a trained model: a folder from a gpt run or a Hugging Face GPT-2 folder (its size and tokenizer; --layers, --embd, … are ignored)',
      },
      {
        name: 'lora',
        kind: 'int',
        min: 0,
        default: G.lora.r,
        metavar: 'R',
        help: 'with --init: train rank-R LoRA adapters only, every base weight frozen (0: train every weight)',
      },
      {
        name: 'lora-alpha',
        kind: 'number',
        min: 0,
        minExclusive: true,
        default: G.lora.alpha,
        help: 'LoRA α (the update is scaled by α/R)',
      },
      { name: 'lora-dropout', kind: 'number', min: 0, default: G.lora.dropout, help: 'dropout on the adapters’ input' },
      {
        name: 'lora-targets',
        kind: 'string',
        metavar: 'LIST',
        default: G.lora.targets,
        help: 'comma-separated GPT-2 module names to adapt (PEFT’s target_modules: c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj, h.0.attn.c_attn, …)',
      },
      {
        name: 'merge',
        kind: 'bool',
        help: 'with --lora: also write merged/, the base model with the adapters folded in (a plain GPT-2 folder)',
      },
      {
        name: 'checkpoint-every',
        kind: 'int',
        min: 0,
        default: G.checkpointEvery,
        help: 'write the checkpoint into --out every N steps, so a run that fails later can be resumed (0: only at the end)',
      },
    ],
  },
  ...(['rnn', 'lstm', 'gru'] as const).map((cell) => recurrentModel(cell)),
];

/** The flags of `rnn`, `lstm` and `gru` (one table: the cells differ only in their summary). */
function recurrentModel(cell: 'rnn' | 'lstm' | 'gru'): ModelSpec {
  const what = {
    rnn: 'a vanilla (Elman, tanh) RNN',
    lstm: 'an LSTM (forget-gate bias 1)',
    gru: 'a GRU (Cho et al. 2014)',
  }[cell];
  return {
    name: cell,
    summary: `${what} language model on the built-in stories or --corpus FILE, truncated BPTT over --block steps from the zero state, Adam; prints val loss beside the baselines and a sample, and records the gradient norm ‖∂L_T/∂h_{T−k}‖ against k`,
    steps: { default: R.steps, unit: 'one Adam step on --batch windows of --block tokens' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'a UTF-8 text file to train on (default: the built-in seeded stories)' },
      {
        name: 'tokenizer',
        kind: 'choice',
        choices: ['char', 'bpe'],
        default: R.tokenizer,
        help: 'character-level or byte-level BPE trained on the corpus',
      },
      { name: 'vocab', kind: 'int', min: 257, default: R.vocab, help: 'BPE vocabulary size (256 bytes + merges)' },
      { name: 'hidden', kind: 'int', min: 1, default: R.hidden, help: 'hidden (and cell) state size' },
      { name: 'layers', kind: 'int', min: 1, default: R.layers, help: 'stacked recurrent layers' },
      {
        name: 'block',
        kind: 'int',
        min: 2,
        max: 256,
        default: R.block,
        help: 'steps unrolled per window (the BPTT length)',
      },
      { name: 'batch', kind: 'int', min: 1, default: R.batch, help: 'windows per step' },
      {
        name: 'lr',
        kind: 'number',
        min: 0,
        minExclusive: true,
        default: R.lr[cell],
        help: 'peak learning rate (warmup, then cosine to lr/10)',
      },
      {
        name: 'prompt',
        kind: 'string',
        metavar: 'TEXT',
        help: 'prompt of the final sample (default: the start of the validation text)',
      },
    ],
  };
}
