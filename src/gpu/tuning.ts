// The one tuning table: every variant choice and tuning constant of the op launchers, derived once
// from the adapter's facts in createContext and kept as `ctx.tuning`. Launchers read it and never
// look at the adapter themselves. Defaults differ by adapter class: 'cpu' (SwiftShader and other
// software adapters: barriers are dear, subgroups tiny) and 'gpu' (hardware).
//
// Overrides, applied in this order over the class defaults:
//   - a page URL query `?tuning=matmul.variant=register,softmax.threads=64`, or in Node the
//     environment variable SHADERGRAD_TUNING (the scripts pass it on to their pages as that query);
//   - CreateContextOptions.tuning (the same string, or an object of typed values).
// `class=cpu|gpu` picks the other class's defaults before the other keys apply. An unknown key
// or a bad value throws an InputError naming the key and the allowed values.
import { InputError } from '../util/errors';

export type AdapterClass = 'cpu' | 'gpu';
/** A matmul kernel (see src/ops/matmul.ts). */
export type MatmulKernel = 'shared' | 'register' | 'subgroup';
/** Invocations per row: a power of two, or 'auto' (a rule of the row length, per op). */
export type Threads = number | 'auto';

/** Tile constants of one matmul kernel (override constants of shaders/matmul.wgsl). */
export interface MatmulTiles {
  /** Workgroup size: wgX columns by wgY rows of invocations. */
  wgX: number;
  wgY: number;
  /** Each invocation computes (4·rm) x (4·rn) outputs. */
  rm: number;
  rn: number;
  /** K-slab of the shared-memory variant (a multiple of 4). */
  tk: number;
}

/** The tunables, by the key an override names. */
export interface Tuning {
  /** Which defaults the table started from. */
  class: AdapterClass;
  'matmul.variant': MatmulKernel;
  'matmul.shared.wgX': number;
  'matmul.shared.wgY': number;
  'matmul.shared.rm': number;
  'matmul.shared.rn': number;
  'matmul.shared.tk': number;
  'matmul.register.wgX': number;
  'matmul.register.wgY': number;
  'matmul.register.rm': number;
  'matmul.register.rn': number;
  'matmul.register.tk': number;
  'matmul.subgroup.wgX': number;
  'matmul.subgroup.wgY': number;
  'matmul.subgroup.rm': number;
  'matmul.subgroup.rn': number;
  'matmul.subgroup.tk': number;
  'softmax.threads': Threads;
  'softmax.wg': number;
  'layernorm.threads': Threads;
  'layernorm.wg': number;
  'layernorm.colsWg': number;
  'cross_entropy.threads': Threads;
  'reduce.wg': number;
  'reduce.itemsMin': number;
  'reduce.itemsMax': number;
  'reduce.targetThreads': number;
  'reduce.rowsPer': number;
  'attention.tile': boolean;
  'attention.wg': number;
  'attention.bk': number;
  'attention.bkTiled': number;
  'embedding.wg': number;
  'optimizer.wg': number;
  'optimizer.per': number;
}

export type TuningKey = keyof Tuning;
export type TuningValue = Tuning[TuningKey];
/** Overrides: a `key=value,key=value` string or typed values by key. */
export type TuningOverrides = string | Partial<Tuning>;

/** The adapter facts the table is derived from (a subset of AdapterFacts and Features). */
export interface TuningFacts {
  name: string;
  architecture: string;
  isFallback: boolean;
  /** The subgroups feature is enabled on the device. */
  subgroups: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
}

/** ctx.tuning: the values, the facts launchers may need, and which keys were overridden. */
export type TuningTable = Readonly<Tuning> & {
  readonly facts: {
    /** The adapter's readable name (for error messages). */
    readonly adapter: string;
    /** Subgroups of exactly 4 lanes: the subgroup matmul runs only there. */
    readonly subgroupsOf4: boolean;
  };
  readonly overridden: readonly TuningKey[];
};

/** A CPU implementation of WebGPU (SwiftShader and the like)? */
export function adapterClass(f: Pick<TuningFacts, 'name' | 'architecture' | 'isFallback'>): AdapterClass {
  const cpu =
    f.isFallback ||
    f.architecture === 'swiftshader' ||
    /swiftshader|llvmpipe|lavapipe|microsoft basic render/i.test(f.name);
  return cpu ? 'cpu' : 'gpu';
}

export function hasSubgroupsOf4(f: TuningFacts): boolean {
  return f.subgroups && f.subgroupMinSize === 4 && f.subgroupMaxSize === 4;
}

/** The defaults of a class. Numbers measured on SwiftShader are cited where they are set. */
export function classDefaults(cls: AdapterClass, subgroupsOf4: boolean): Tuning {
  const cpu = cls === 'cpu';
  return {
    class: cls,
    // Side by side on SwiftShader (2 shared cores, 512^3, best of 7): subgroup 8x2 6.3 GFLOP/s,
    // register 2x2 3.7, shared 1.1, TF.js webgpu 0.5. 'shared' is the usual GPU shape (not yet
    // tuned on hardware).
    'matmul.variant': cpu ? (subgroupsOf4 ? 'subgroup' : 'register') : 'shared',
    // 64x64 tiles of 4x4 per invocation
    'matmul.shared.wgX': 16,
    'matmul.shared.wgY': 16,
    'matmul.shared.rm': 1,
    'matmul.shared.rn': 1,
    'matmul.shared.tk': 16,
    'matmul.register.wgX': 8,
    'matmul.register.wgY': 8,
    'matmul.register.rm': 2,
    'matmul.register.rn': 2,
    'matmul.register.tk': 16,
    // 32x8 per invocation, 32x32 per subgroup, 32x64 per workgroup. Workgroup shapes from 8x1 to
    // 8x8 measured within noise of each other on SwiftShader at 1024^3; the small one wastes
    // least on clamped rows of small matrices.
    'matmul.subgroup.wgX': 8,
    'matmul.subgroup.wgY': 1,
    'matmul.subgroup.rm': 8,
    'matmul.subgroup.rn': 2,
    'matmul.subgroup.tk': 16,
    // One row per invocation on CPU adapters (no barriers); on GPUs about C/8 per row, in [32, 256].
    'softmax.threads': cpu ? 1 : 'auto',
    'softmax.wg': 64,
    'layernorm.threads': cpu ? 1 : 'auto',
    'layernorm.wg': 64,
    'layernorm.colsWg': 64,
    // One row per invocation on CPU adapters; on GPUs about V/16 per row, at most 256.
    'cross_entropy.threads': cpu ? 1 : 'auto',
    // Runs of 16..256 elements per invocation, aiming at ~16384 invocations: SwiftShader pays
    // dearly for barriers (rows of 768 run ~3x faster with 4 threads per row than with 16).
    'reduce.wg': 256,
    'reduce.itemsMin': 16,
    'reduce.itemsMax': 256,
    'reduce.targetThreads': 16384,
    'reduce.rowsPer': 64,
    'attention.tile': false,
    'attention.wg': 64,
    'attention.bk': 64,
    'attention.bkTiled': 16,
    'embedding.wg': 64,
    'optimizer.wg': 64,
    'optimizer.per': 4,
  };
}

// ---- checking values -------------------------------------------------------------------------

interface Rule<T> {
  /** The allowed values, for error messages. */
  allowed: string;
  /** The value from an override (a string from a URL or a typed value), or undefined if bad. */
  read(v: unknown): T | undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function int(lo: number, hi: number, step = 1): Rule<number> {
  const allowed = step === 1 ? `an integer in [${lo}, ${hi}]` : `a multiple of ${step} in [${lo}, ${hi}]`;
  return {
    allowed,
    read: (v) => {
      const n = toNumber(v);
      return n !== undefined && Number.isInteger(n) && n >= lo && n <= hi && n % step === 0 ? n : undefined;
    },
  };
}

function pow2(lo: number, hi: number): Rule<number> {
  return {
    allowed: `a power of two in [${lo}, ${hi}]`,
    read: (v) => {
      const n = toNumber(v);
      return n !== undefined && isPow2(n) && n >= lo && n <= hi ? n : undefined;
    },
  };
}

function oneOf<T extends string | number>(...values: T[]): Rule<T> {
  return { allowed: `one of ${values.join(', ')}`, read: (v) => values.find((x) => String(x) === String(v).trim()) };
}

const threads: Rule<Threads> = {
  allowed: "'auto' or a power of two in [1, 256]",
  read: (v) => (String(v).trim() === 'auto' ? 'auto' : pow2(1, 256).read(v)),
};

const bool: Rule<boolean> = {
  allowed: 'true or false (1 or 0)',
  read: (v) =>
    v === true || v === 'true' || v === '1' || v === 1
      ? true
      : v === false || v === 'false' || v === '0' || v === 0
        ? false
        : undefined,
};

const wgSide = int(1, 256);
const tk = int(4, 64, 4);

/** Every key's rule: the mapped type makes a key without one a compile error. */
const RULES: { [K in TuningKey]: Rule<Tuning[K]> } = {
  class: oneOf<AdapterClass>('cpu', 'gpu'),
  'matmul.variant': oneOf<MatmulKernel>('shared', 'register', 'subgroup'),
  'matmul.shared.wgX': wgSide,
  'matmul.shared.wgY': wgSide,
  'matmul.shared.rm': oneOf(1, 2),
  'matmul.shared.rn': oneOf(1, 2),
  'matmul.shared.tk': tk,
  'matmul.register.wgX': wgSide,
  'matmul.register.wgY': wgSide,
  'matmul.register.rm': oneOf(1, 2),
  'matmul.register.rn': oneOf(1, 2),
  'matmul.register.tk': tk,
  'matmul.subgroup.wgX': int(4, 256, 4),
  'matmul.subgroup.wgY': wgSide,
  'matmul.subgroup.rm': oneOf(1, 2, 4, 8),
  'matmul.subgroup.rn': oneOf(1, 2),
  'matmul.subgroup.tk': tk,
  'softmax.threads': threads,
  'softmax.wg': pow2(1, 256),
  'layernorm.threads': threads,
  'layernorm.wg': pow2(1, 256),
  'layernorm.colsWg': pow2(1, 256),
  'cross_entropy.threads': threads,
  'reduce.wg': pow2(32, 256),
  'reduce.itemsMin': int(1, 4096),
  'reduce.itemsMax': int(1, 4096),
  'reduce.targetThreads': int(1, 1 << 24),
  'reduce.rowsPer': int(1, 4096),
  'attention.tile': bool,
  'attention.wg': int(1, 256),
  'attention.bk': int(1, 1024),
  'attention.bkTiled': int(1, 1024),
  'embedding.wg': pow2(16, 256),
  'optimizer.wg': pow2(1, 256),
  'optimizer.per': int(1, 16),
};

export const TUNING_KEYS = Object.keys(RULES) as TuningKey[];

function isKey(k: string): k is TuningKey {
  return Object.prototype.hasOwnProperty.call(RULES, k);
}

function bad(msg: string): InputError {
  return new InputError(`tuning: ${msg}`);
}

/** One key's value from an override, checked; throws naming the key and the allowed values. */
export function readTuningValue<K extends TuningKey>(key: K, v: unknown): Tuning[K] {
  const got = RULES[key].read(v);
  if (got === undefined) throw bad(`${key} must be ${RULES[key].allowed}, got ${JSON.stringify(v)}`);
  return got;
}

/** Parse `key=value,key=value` (blank entries skipped) into checked values. */
export function parseTuning(s: string): Partial<Tuning> {
  const out: Partial<Tuning> = {};
  for (const part of s.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw bad(`"${item}" is not key=value (keys: ${TUNING_KEYS.join(', ')})`);
    const key = item.slice(0, eq).trim();
    if (!isKey(key)) throw bad(`unknown key "${key}" (keys: ${TUNING_KEYS.join(', ')})`);
    set(out, key, readTuningValue(key, item.slice(eq + 1)));
  }
  return out;
}

function set<K extends TuningKey>(t: Partial<Tuning>, k: K, v: Tuning[K]): void {
  t[k] = v;
}

/** Typed overrides checked key by key (callers from plain JavaScript included). */
function checkOverrides(o: Partial<Tuning>): Partial<Tuning> {
  const out: Partial<Tuning> = {};
  for (const [key, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (!isKey(key)) throw bad(`unknown key "${key}" (keys: ${TUNING_KEYS.join(', ')})`);
    set(out, key, readTuningValue(key, v));
  }
  return out;
}

/**
 * The table for an adapter: its class's defaults, then each override in order (later wins).
 * Throws on an unknown key, a bad value, or a choice this adapter cannot run.
 */
export function deriveTuning(f: TuningFacts, ...overrides: (TuningOverrides | undefined)[]): TuningTable {
  const subgroupsOf4 = hasSubgroupsOf4(f);
  const merged: Partial<Tuning> = {};
  for (const o of overrides) {
    if (o === undefined) continue;
    Object.assign(merged, typeof o === 'string' ? parseTuning(o) : checkOverrides(o));
  }
  const values: Tuning = { ...classDefaults(merged.class ?? adapterClass(f), subgroupsOf4), ...merged };
  if (values['matmul.variant'] === 'subgroup' && !subgroupsOf4) {
    throw bad(
      `matmul.variant=subgroup needs subgroups of exactly 4 lanes; this adapter (${f.name}) has none (allowed here: shared, register)`,
    );
  }
  if (values['reduce.itemsMin'] > values['reduce.itemsMax']) {
    throw bad(
      `reduce.itemsMin (${values['reduce.itemsMin']}) must not exceed reduce.itemsMax (${values['reduce.itemsMax']})`,
    );
  }
  const overridden = TUNING_KEYS.filter((k) => k in merged);
  return { ...values, facts: { adapter: f.name, subgroupsOf4 }, overridden };
}

/** The values alone, by key (for JSON records). */
export function tuningValues(t: TuningTable): Tuning {
  const out = classDefaults(t.class, t.facts.subgroupsOf4);
  for (const k of TUNING_KEYS) set(out, k, t[k]);
  return out;
}

/** The table as an override string: passing it back reproduces the run. */
export function tuningString(t: TuningTable): string {
  return TUNING_KEYS.map((k) => `${k}=${String(t[k])}`).join(',');
}

/** The table as aligned text, one key per line; overridden keys are marked. */
export function formatTuning(t: TuningTable): string {
  const w = Math.max(...TUNING_KEYS.map((k) => k.length));
  const head = `tuning for ${t.facts.adapter} (class ${t.class}; subgroups of 4: ${t.facts.subgroupsOf4 ? 'yes' : 'no'})`;
  const over = new Set<TuningKey>(t.overridden);
  return [
    head,
    ...TUNING_KEYS.map((k) => `  ${k.padEnd(w)}  ${String(t[k])}${over.has(k) ? '  (override)' : ''}`),
  ].join('\n');
}

/** The override string of this page (`?tuning=`) or process (SHADERGRAD_TUNING), if any. */
export function tuningFromEnvironment(): string | undefined {
  try {
    if (typeof location !== 'undefined') {
      const v = new URLSearchParams(location.search).get('tuning');
      if (v !== null) return v;
    }
  } catch {
    /* not a page */
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.SHADERGRAD_TUNING || undefined;
}
