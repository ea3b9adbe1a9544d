// LoRA adapters as PEFT writes them (peft's save_pretrained of a LoraConfig model), so that
// `PeftModel.from_pretrained(base, dir)` on top of transformers' model loads what we trained,
// and an adapter trained with PEFT loads here:
//   adapter_config.json          peft_type "LORA", r, lora_alpha, lora_dropout, target_modules, …
//   adapter_model.safetensors    base_model.model.<module>.lora_A.weight  (r, in)
//                                base_model.model.<module>.lora_B.weight  (out, r)
// PEFT's lora_A / lora_B are nn.Linear layers, whose weights are (out, in): ours are stored
// (in, out), so both are transposed, and a module whose Linears share one A (GPT-2's c_attn:
// q, k, v) has its B slices concatenated along the output axis, in slot order.
// Pure host code: no graph, no GPU.
import { InputError } from '../util/errors';
import type { LoraConfig, LoraShape } from './lora';

export interface HostTensor {
  shape: readonly number[];
  data: Float32Array;
}

const PREFIX = 'base_model.model.';

/** (rows, cols) row-major → (cols, rows). */
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

function take(p: Readonly<Record<string, HostTensor>>, name: string, n: number, what: string): Float32Array {
  const t = p[name];
  if (!t) throw new InputError(`${what}: no tensor "${name}"`);
  if (t.data.length !== n) throw new InputError(`${what}: "${name}" has ${t.data.length} values, expected ${n}`);
  return t.data;
}

/** Our adapter parameters (by our names) → PEFT's tensors. */
export function loraToPeft(
  shapes: readonly LoraShape[],
  params: Readonly<Record<string, HostTensor>>,
  r: number,
): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const s of shapes) {
    const [aName, ...bNames] = s.names;
    const A = take(params, aName!, s.inFeatures * r, 'lora');
    out[`${PREFIX}${s.module}.lora_A.weight`] = { shape: [r, s.inFeatures], data: transpose(A, s.inFeatures, r) };
    const total = s.outs.reduce((a, b) => a + b, 0);
    const B = new Float32Array(r * total);
    let col = 0;
    bNames.forEach((n, j) => {
      const w = s.outs[j]!;
      const slice = take(params, n, r * w, 'lora');
      for (let k = 0; k < r; k++) B.set(slice.subarray(k * w, k * w + w), k * total + col);
      col += w;
    });
    out[`${PREFIX}${s.module}.lora_B.weight`] = { shape: [total, r], data: transpose(B, r, total) };
  }
  return out;
}

/** PEFT's tensors → our adapter parameters (the inverse of loraToPeft); refuses missing or misshapen ones. */
export function loraFromPeft(
  shapes: readonly LoraShape[],
  peft: Readonly<Record<string, HostTensor>>,
  r: number,
): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  const what = 'adapter_model.safetensors';
  const known = new Set<string>();
  for (const s of shapes) {
    const [aName, ...bNames] = s.names;
    const total = s.outs.reduce((a, b) => a + b, 0);
    const aKey = `${PREFIX}${s.module}.lora_A.weight`;
    const bKey = `${PREFIX}${s.module}.lora_B.weight`;
    known.add(aKey).add(bKey);
    const A = take(peft, aKey, r * s.inFeatures, what);
    out[aName!] = { shape: [s.inFeatures, r], data: transpose(A, r, s.inFeatures) };
    const B = transpose(take(peft, bKey, total * r, what), total, r);
    let col = 0;
    bNames.forEach((n, j) => {
      const w = s.outs[j]!;
      const slice = new Float32Array(r * w);
      for (let k = 0; k < r; k++) slice.set(B.subarray(k * total + col, k * total + col + w), k * w);
      out[n] = { shape: [r, w], data: slice };
      col += w;
    });
  }
  const extra = Object.keys(peft).filter((k) => !known.has(k));
  if (extra.length)
    throw new InputError(
      `${what}: ${extra.length} tensor(s) this model's adapter does not have, e.g. "${extra[0]}" (different target modules or a different model?)`,
    );
  return out;
}

export interface PeftConfigOptions {
  /** PEFT's task_type, e.g. CAUSAL_LM, SEQ_CLS. */
  taskType: string;
  /** true for GPT-2 (Conv1D stores weights (in, out)), false for nn.Linear models such as BERT. */
  fanInFanOut: boolean;
  baseModel?: string;
}

/** adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (the fields PEFT reads back). */
export function peftAdapterConfig(c: LoraConfig, o: PeftConfigOptions): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: o.taskType,
    base_model_name_or_path: o.baseModel ?? null,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: [...c.targets],
    fan_in_fan_out: o.fanInFanOut,
    bias: 'none',
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

const UNSUPPORTED = [
  'exclude_modules',
  'layers_to_transform',
  'modules_to_save',
  'target_parameters',
  'trainable_token_indices',
  'layer_replication',
  'alora_invocation_tokens',
  'use_bdlora',
] as const;

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.keys(v).length;
}

/** Our LoraConfig from an adapter_config.json; refuses what we cannot run, naming the field. */
export function loraConfigOfPeft(json: Record<string, unknown>): LoraConfig {
  const bad = (why: string): never => {
    throw new InputError(`adapter_config.json: ${why}`);
  };
  if (json['peft_type'] !== 'LORA') bad(`peft_type is ${JSON.stringify(json['peft_type'])}, only "LORA" is supported`);
  for (const k of ['use_rslora', 'use_dora', 'use_qalora', 'lora_bias'] as const)
    if (json[k] === true) bad(`${k} is not supported`);
  // PEFT features that change which weights exist or what they compute: refused when set
  for (const k of UNSUPPORTED) {
    const v = json[k];
    const set = v !== undefined && v !== null && !(Array.isArray(v) && !v.length) && !isEmptyObject(v);
    if (set) bad(`${k} is set (${JSON.stringify(v).slice(0, 60)}), a PEFT feature this engine does not run`);
  }
  if (json['bias'] !== undefined && json['bias'] !== 'none') bad(`bias "${String(json['bias'])}" is not supported`);
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = json[k];
    if (v && typeof v === 'object' && Object.keys(v).length) bad(`${k} (per-module ranks) is not supported`);
  }
  const t = json['target_modules'];
  const targets =
    typeof t === 'string' ? bad('a regular-expression target_modules is not supported; list the modules') : t;
  if (!Array.isArray(targets) || targets.some((x) => typeof x !== 'string'))
    bad('target_modules must be a list of module names');
  return {
    r: Number(json['r']),
    alpha: Number(json['lora_alpha']),
    dropout: Number(json['lora_dropout'] ?? 0),
    targets: targets as string[],
  };
}
