// Argument parsing for `npm run train -- <model> [flags]`, pure so it can be unit-tested: the
// file system is asked only through `exists`, the clock only through `now`.
//
// Every model shares --seed, --steps and --out; each model adds its own flags in MODELS (a
// later model, e.g. word2vec with `--corpus FILE`, adds an entry here and a job in
// demos/train/jobs.ts). Flag kinds: int, number, string, choice, bool and file (a path that
// must exist; scripts/train.ts reads it and hands the text to the page). Numbers have a range:
// `min` on the flag, and a `max` on the flag or, for the size flags every model shares
// (--steps, --layers, --batch, …), in FLAG_MAX below. What needs more than one flag (embd
// divisible by heads, a corpus long enough for --block) is checked by scripts/lib/validate.ts.

import { GPT_TRAIN_DEFAULTS as G } from '../../src/models/gpt';
import { BERT_DEFAULTS } from '../../src/models/bert_pipeline';

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
  { name: 'force', kind: 'bool', help: 'write into an --out folder that is not empty (its files of the same names are replaced)' },
];

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'perceptron',
    summary: "the perceptron rule on a logic gate from the lesson's start w = (0.3, −0.1), b = 0.2 (so --seed changes nothing), until an epoch makes no error",
    steps: { default: 200, unit: 'one update on one example (run in whole epochs of four)' },
    flags: [
      { name: 'gate', kind: 'choice', choices: ['and', 'or', 'nand', 'xor'], default: 'and', help: 'the gate to learn (xor never converges)' },
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: 0.1, help: 'learning rate η' },
    ],
  },
  {
    name: 'mlp',
    summary: 'XOR with a 2-H-1 MLP (tanh hidden, sigmoid output), binary cross-entropy, Adam',
    steps: { default: 500, unit: 'one Adam step on all four examples' },
    flags: [
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: 0.1, help: 'Adam learning rate' },
      { name: 'hidden', kind: 'int', min: 1, default: 2, help: 'hidden units' },
      { name: 'stop-loss', kind: 'number', min: 0, default: 0.05, help: 'stop once all four are right and the loss is below this (0: run every step)' },
    ],
  },
  {
    name: 'word2vec',
    summary: 'word vectors (skip-gram or CBOW, negative sampling) on the built-in relation corpus or --corpus FILE; writes vectors.txt (word2vec text format)',
    steps: { default: 1, unit: 'unused (word2vec runs --epochs passes over the corpus)' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'UTF-8 text to train on (default: the built-in relation corpus)' },
      { name: 'questions', kind: 'file', help: 'analogy questions (questions-words.txt format) for analogy_accuracy (default: the built-in ones)' },
      { name: 'mode', kind: 'choice', choices: ['skipgram', 'cbow'], default: 'skipgram', help: 'architecture' },
      { name: 'dim', kind: 'int', min: 1, default: 100, help: 'vector size' },
      { name: 'window', kind: 'int', min: 1, default: 5, help: 'largest context reach (drawn in 1..window per word)' },
      { name: 'negative', kind: 'int', min: 0, default: 5, help: 'negative samples per example' },
      { name: 'epochs', kind: 'int', min: 1, default: 5, help: 'passes over the corpus' },
      { name: 'min-count', kind: 'int', min: 1, default: 5, help: 'drop words rarer than this' },
      { name: 'sample', kind: 'number', min: 0, default: 1e-3, help: 'subsampling threshold of frequent words (0: off)' },
      { name: 'alpha', kind: 'number', min: 0, minExclusive: true, help: 'starting learning rate (default 0.025 skip-gram, 0.05 CBOW)' },
      { name: 'batch', kind: 'int', min: 1, help: 'examples per GPU step: skip-gram pairs or CBOW windows (default 1024)' },
      { name: 'corpus-tokens', kind: 'int', min: 100, default: 300000, help: 'size of the built-in corpus in tokens' },
    ],
  },
  {
    name: 'bert',
    summary: 'a mini BERT: WordPiece, MLM + NSP pretraining, then a [CLS] sentiment classifier; writes Hugging Face files (pretrained/ and classifier/)',
    steps: { default: 300, unit: 'one AdamW pretraining step on a batch of sentence pairs' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'pretraining text: documents separated by blank lines, a sentence per line (default: built-in)' },
      { name: 'labels', kind: 'file', help: 'label<TAB>text lines, label 0 or 1, split 80/20 (default: built-in sentiment set)' },
      { name: 'vocab', kind: 'int', min: 8, default: 512, help: 'WordPiece vocabulary size' },
      { name: 'layers', kind: 'int', min: 1, default: 2, help: 'encoder layers' },
      { name: 'heads', kind: 'int', min: 1, default: 4, help: 'attention heads' },
      { name: 'embd', kind: 'int', min: 4, default: 64, help: 'hidden size D (D / heads a multiple of 4)' },
      { name: 'block', kind: 'int', min: 4, default: 32, help: 'tokens per sequence (padded)' },
      { name: 'batch', kind: 'int', min: 1, default: 32, help: 'sequences per batch' },
      { name: 'finetune-steps', kind: 'int', min: 0, default: 1000, help: 'classifier fine-tuning steps' },
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: 0.002, help: 'peak pretraining learning rate (warm-up, cosine)' },
      { name: 'finetune-lr', kind: 'number', min: 0, minExclusive: true, default: 0.001, help: 'peak fine-tuning learning rate' },
      { name: 'dropout', kind: 'number', min: 0, default: 0, help: 'hidden dropout' },
      { name: 'freeze-encoder', kind: 'bool', help: 'fine-tune only the classifier (a linear probe)' },
      { name: 'task-text', kind: 'choice', choices: ['on', 'off'], default: 'on', help: 'also pretrain on the labelled training texts, labels unused (task-adaptive pretraining)' },
      { name: 'resume', kind: 'string', help: 'continue pretraining from a bert run folder (weights, AdamW state, step, batch order) up to --steps, then fine-tune' },
      { name: 'checkpoint-every', kind: 'int', min: 0, default: BERT_DEFAULTS.checkpointEvery ?? 0, help: 'write pretrained/ into --out every N pretraining steps, so a run that fails later can be resumed (0: only at the end)' },
    ],
  },
  {
    name: 'gpt',
    summary: 'a mini GPT (nanoGPT architecture, AdamW, warmup + cosine) on the built-in stories or --corpus FILE; writes Hugging Face GPT-2 files and prints a sample',
    steps: { default: G.steps, unit: 'one AdamW step on --batch windows of --block tokens' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'a UTF-8 text file to train on (default: the built-in seeded stories)' },
      { name: 'tokenizer', kind: 'choice', choices: ['char', 'bpe'], default: G.tokenizer, help: 'character-level or byte-level BPE trained on the corpus' },
      { name: 'vocab', kind: 'int', min: 257, default: G.vocab, help: 'BPE vocabulary size (256 bytes + merges)' },
      { name: 'layers', kind: 'int', min: 1, default: G.layers, help: 'transformer blocks' },
      { name: 'heads', kind: 'int', min: 1, default: G.heads, help: 'attention heads (embd/heads must be a multiple of 4)' },
      { name: 'embd', kind: 'int', min: 4, default: G.embd, help: 'embedding size' },
      { name: 'block', kind: 'int', min: 2, default: G.block, help: 'context length' },
      { name: 'batch', kind: 'int', min: 1, default: G.batch, help: 'windows per step' },
      { name: 'lr', kind: 'number', min: 0, minExclusive: true, default: G.lr, help: 'peak learning rate (warmup, then cosine to lr/10)' },
      { name: 'dropout', kind: 'number', min: 0, default: G.dropout, help: 'dropout probability' },
      { name: 'prompt', kind: 'string', metavar: 'TEXT', help: 'prompt of the final sample (default: the start of the validation text)' },
      { name: 'resume', kind: 'string', help: 'continue from a checkpoint folder written by a gpt run (model, optimizer and data position)' },
      { name: 'checkpoint-every', kind: 'int', min: 0, default: G.checkpointEvery, help: 'write the checkpoint into --out every N steps, so a run that fails later can be resumed (0: only at the end)' },
    ],
  },
];

export interface TrainArgs {
  model: string;
  seed: number;
  steps: number;
  out: string;
  /** --force: --out may be a folder that is not empty. */
  force: boolean;
  /** The model's own flags by name, defaults filled in (file flags hold the path). */
  options: Record<string, FlagValue>;
  /** Names of the model's file flags that were given (their paths are in options). */
  files: string[];
}

export type Parsed = { kind: 'run'; args: TrainArgs } | { kind: 'help'; text: string } | { kind: 'error'; message: string; usage: string };

export interface ParseEnv {
  models?: readonly ModelSpec[];
  exists?: (path: string) => boolean;
  now?: Date;
}

function flagLine(f: FlagSpec): string {
  const meta = f.kind === 'bool' ? '' : f.kind === 'choice' ? ` ${f.choices!.join('|')}` : f.metavar ? ` ${f.metavar}` : f.kind === 'file' ? ' FILE' : f.kind === 'string' ? ' DIR' : ' N';
  const notes: string[] = [];
  if (f.default !== undefined && f.kind !== 'bool') notes.push(`default ${String(f.default)}`);
  const max = f.kind === 'int' || f.kind === 'number' ? maxOf(f) : null;
  if (max) notes.push(`${max.exclusive ? 'below' : 'at most'} ${max.max}`);
  return `  --${f.name}${meta}`.padEnd(26) + ` ${f.help}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** The usage text: every model, or one model's flags in full. */
export function usage(models: readonly ModelSpec[] = MODELS, model?: string): string {
  const shown = models.filter((m) => !model || m.name === model);
  const lines = [
    `usage: npm run train -- <${models.map((m) => m.name).join('|')}> [--seed S] [--steps N] [--out DIR] [--force] [model flags]`,
    '',
    'Trains in headless Chromium on WebGPU and writes DIR/metrics.json and a checkpoint',
    '(model.safetensors, optimizer.safetensors, config.json).',
    '',
    'common flags:',
    ...COMMON_FLAGS.map(flagLine),
    '  --help                   this text',
  ];
  for (const m of shown) {
    lines.push('', `${m.name}: ${m.summary}`, `  one step = ${m.steps.unit}; --steps defaults to ${m.steps.default}`);
    lines.push(...m.flags.map(flagLine));
  }
  return lines.join('\n');
}

type Checked = { ok: true; value: FlagValue } | { ok: false; error: string };

function parseValue(f: FlagSpec, raw: string, exists: (p: string) => boolean): Checked {
  const ok = (value: FlagValue): Checked => ({ ok: true, value });
  const bad = (why: string): Checked => ({ ok: false, error: `--${f.name} ${why}, got "${raw}"` });
  const max = maxOf(f);
  switch (f.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return bad('takes a whole number');
      const v = Number(raw);
      if (!Number.isSafeInteger(v)) return bad(`is too large${max ? ` (at most ${max.max})` : ''}`);
      if (f.min !== undefined && v < f.min) return bad(`must be at least ${f.min}`);
      return max && v > max.max ? bad(`must be at most ${max.max}`) : ok(v);
    }
    case 'number': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) return bad('takes a number');
      if (f.min !== undefined && (f.minExclusive ? v <= f.min : v < f.min)) return bad(`must be ${f.minExclusive ? 'greater than' : 'at least'} ${f.min}`);
      if (max && (max.exclusive ? v >= max.max : v > max.max)) return bad(`must be ${max.exclusive ? 'less than' : 'at most'} ${max.max}`);
      return ok(v);
    }
    case 'choice':
      return f.choices!.includes(raw) ? ok(raw) : bad(`must be one of ${f.choices!.join(', ')}`);
    case 'file':
      return exists(raw) ? ok(raw) : { ok: false, error: `--${f.name}: no such file "${raw}"` };
    case 'bool':
      return raw === 'true' || raw === 'false' ? ok(raw === 'true') : bad('is true or false');
    case 'string':
      return raw === '' ? bad('needs a value') : ok(raw);
  }
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A folder under runs/ that does not exist yet: runs/<model>-<date>-<time>[-k]. */
export function defaultOutDir(model: string, now: Date, exists: (p: string) => boolean): string {
  const base = `runs/${model}-${stamp(now)}`;
  let dir = base;
  for (let k = 2; exists(dir); k++) dir = `${base}-${k}`;
  return dir;
}

/** Parse `<model> [--flag value | --flag=value | --bool]…` (the argv after the script). */
export function parseTrainArgs(argv: readonly string[], env: ParseEnv = {}): Parsed {
  const models = env.models ?? MODELS;
  const exists = env.exists ?? (() => false);
  const args = argv.filter((a) => a !== '--');
  const first = args[0];
  const fail = (message: string, model?: string): Parsed => ({ kind: 'error', message, usage: usage(models, model) });
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help', text: usage(models, models.some((m) => m.name === first) ? first : undefined) };
  if (first === undefined) return fail('no model given');
  if (first.startsWith('-')) return fail(`the model comes first, before "${first}"`);
  const spec = models.find((m) => m.name === first);
  if (!spec) return fail(`unknown model "${first}" (models: ${models.map((m) => m.name).join(', ')})`);
  const flags = [...COMMON_FLAGS, ...spec.flags];
  const values: Record<string, FlagValue> = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--') || a.length < 3) return fail(`unexpected argument "${a}"`, spec.name);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const f = flags.find((x) => x.name === name);
    if (!f) return fail(`unknown option "--${name}" for ${spec.name}`, spec.name);
    if (name in values) return fail(`--${name} given twice`, spec.name);
    let raw: string;
    if (eq > 0) raw = a.slice(eq + 1);
    else if (f.kind === 'bool') raw = 'true';
    else {
      const next = args[i + 1];
      if (next === undefined || /^--./.test(next)) return fail(`--${name} needs a value`, spec.name);
      raw = next;
      i++;
    }
    const v = parseValue(f, raw, exists);
    if (!v.ok) return fail(v.error, spec.name);
    values[name] = v.value;
  }
  const options: Record<string, FlagValue> = {};
  for (const f of spec.flags) {
    const v = values[f.name] ?? f.default;
    if (v !== undefined) options[f.name] = v;
  }
  return {
    kind: 'run',
    args: {
      model: spec.name,
      seed: (values.seed as number | undefined) ?? 1,
      steps: (values.steps as number | undefined) ?? spec.steps.default,
      out: (values.out as string | undefined) ?? defaultOutDir(spec.name, env.now ?? new Date(), exists),
      force: values.force === true,
      options,
      files: spec.flags.filter((f) => f.kind === 'file' && f.name in values).map((f) => f.name),
    },
  };
}

/** One line of a terminal progress bar: `[#####.....]  50/100  loss 0.1234  3.2 s`. */
export function progressLine(step: number, total: number, info: Record<string, number | string> = {}, width = 30): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, step / total)) : 0;
  const fill = Math.round(frac * width);
  const extra = Object.entries(info).map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`);
  const count = `${String(step).padStart(String(total).length)}/${total}`;
  return [`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`, count, ...extra].join('  ');
}

function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(3);
}

/**
 * What a language model's final loss should be read against, when the run's metrics have it:
 * `val loss 0.4442 nats/token; unigram baseline 3.052 (learned nothing about context); corpus
 * floor 0.1078 (the generator's own entropy)`. Null for models without these figures.
 */
export function baselineLine(metrics: Readonly<Record<string, unknown>>): string | null {
  const num = (k: string): number | null => (typeof metrics[k] === 'number' && Number.isFinite(metrics[k]) ? (metrics[k] as number) : null);
  const val = num('val_loss');
  const unigram = num('unigram_baseline');
  if (val === null || unigram === null) return null;
  const unit = metrics.tokenizer === 'char' ? 'nats/char' : 'nats/token';
  const floor = num('entropy_floor_nats_per_char');
  const parts = [`val loss ${val.toFixed(4)} ${unit}`, `unigram baseline ${unigram.toFixed(4)} (no context)`];
  if (floor !== null) parts.push(`corpus floor ${floor.toFixed(4)} (the generator's own entropy)`);
  return parts.join('; ');
}
