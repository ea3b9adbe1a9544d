// Argument parsing for `npm run train -- <model> [flags]`, pure so it can be unit-tested: the
// file system is asked only through `exists`, the clock only through `now`. The flags and their
// kinds, ranges and defaults are in scripts/lib/flags.ts; this file reads argv against them,
// writes the usage text from them, and formats the progress and result lines train prints.

import { COMMON_FLAGS, MODELS, maxOf, type FlagSpec, type FlagValue, type ModelSpec } from './flags';

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

export type Parsed =
  { kind: 'run'; args: TrainArgs } | { kind: 'help'; text: string } | { kind: 'error'; message: string; usage: string };

export interface ParseEnv {
  models?: readonly ModelSpec[];
  exists?: (path: string) => boolean;
  now?: Date;
}

function flagLine(f: FlagSpec): string {
  const meta =
    f.kind === 'bool'
      ? ''
      : f.kind === 'choice'
        ? ` ${f.choices!.join('|')}`
        : f.metavar
          ? ` ${f.metavar}`
          : f.kind === 'file'
            ? ' FILE'
            : f.kind === 'string'
              ? ' DIR'
              : ' N';
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
      if (f.min !== undefined && (f.minExclusive ? v <= f.min : v < f.min))
        return bad(`must be ${f.minExclusive ? 'greater than' : 'at least'} ${f.min}`);
      if (max && (max.exclusive ? v >= max.max : v > max.max))
        return bad(`must be ${max.exclusive ? 'less than' : 'at most'} ${max.max}`);
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
  if (args.includes('--help') || args.includes('-h'))
    return { kind: 'help', text: usage(models, models.some((m) => m.name === first) ? first : undefined) };
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
export function progressLine(
  step: number,
  total: number,
  info: Record<string, number | string> = {},
  width = 30,
): string {
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
 * floor 0.1078 (the generator's own entropy); 3-gram baseline 1.2345 (Kneser–Ney, 2 tokens of
 * context)`. Null for models without these figures.
 */
export function baselineLine(metrics: Readonly<Record<string, unknown>>): string | null {
  const num = (k: string): number | null =>
    typeof metrics[k] === 'number' && Number.isFinite(metrics[k]) ? (metrics[k] as number) : null;
  const val = num('val_loss');
  const unigram = num('unigram_baseline');
  if (val === null || unigram === null) return null;
  const unit = metrics.tokenizer === 'char' ? 'nats/char' : 'nats/token';
  const floor = num('entropy_floor_nats_per_char');
  const parts = [`val loss ${val.toFixed(4)} ${unit}`, `unigram baseline ${unigram.toFixed(4)} (no context)`];
  if (floor !== null) parts.push(`corpus floor ${floor.toFixed(4)} (the generator's own entropy)`);
  const ng = metrics.baseline_ngram as { n?: unknown; smoothing?: unknown; val_loss?: unknown } | undefined;
  if (ng && typeof ng.n === 'number' && typeof ng.val_loss === 'number' && Number.isFinite(ng.val_loss)) {
    const how = ng.smoothing === 'kneser-ney' ? 'Kneser–Ney' : String(ng.smoothing);
    const ctx = ng.n - 1 === 1 ? '1 token' : `${ng.n - 1} tokens`;
    parts.push(`${ng.n}-gram baseline ${ng.val_loss.toFixed(4)} (${how}, ${ctx} of context)`);
  }
  return parts.join('; ');
}
