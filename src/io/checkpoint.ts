// Training checkpoints: parameters, optimizer state, the model config and training progress
// (step, RNG state, …) as three byte blobs, so the same code serves the browser (download /
// file picker) and a Node CLI (write them to a directory):
//
//   model.safetensors      parameters, F32, under their own names
//   optimizer.safetensors  per-parameter state as "<param>.<slot>" (e.g. "w.m", "w.v"), F32;
//                          scalar state (e.g. "step") as 0-d F64 tensors, names without a dot
//   config.json            {format, version, config, progress, params: name → shape, crc32}
//
// Everything here is pure and GPU-free: reading tensors back from the GPU is the caller's job.
// Parsing checks the files against each other (parameter names and shapes, CRC-32 of the two
// tensor files recorded in config.json), so files from different checkpoints are not mixed.

import {
  SafetensorsError,
  loadSafetensors,
  saveSafetensors,
  type LoadedTensor,
  type TensorToSave,
} from './safetensors';
import { setOwn } from './safetensors_common';

export const CHECKPOINT_FORMAT = 'shadergrad-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILES = ['model.safetensors', 'optimizer.safetensors', 'config.json'] as const;
export type CheckpointFileName = (typeof CHECKPOINT_FILES)[number];
export type CheckpointFiles = Record<CheckpointFileName, Uint8Array>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ParamTensor {
  shape: readonly number[];
  data: Float32Array; // row-major, length = product of shape
}

export interface OptimizerState {
  /** e.g. "adamw"; recorded in the file's metadata. */
  name: string;
  /** slots[param][slot], e.g. slots.w.m and slots.w.v for Adam. Slot names are identifiers. */
  slots: Record<string, Record<string, ParamTensor>>;
  /** Scalar state, e.g. { step: 12 }. Names are identifiers; values finite numbers. */
  scalars: Record<string, number>;
}

export interface TrainingProgress extends JsonObject {
  /** Optimizer steps taken so far. */
  step: number;
}

export interface Checkpoint {
  params: Record<string, ParamTensor>;
  optimizer: OptimizerState;
  /** The model / run config: any JSON object. */
  config: JsonObject;
  /** Where training stands: step, RNG state ({seed, stream, counter}), data cursor, … */
  progress: TrainingProgress;
}

export class CheckpointError extends Error {
  constructor(detail: string) {
    super(`checkpoint: ${detail}`);
    this.name = 'CheckpointError';
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// ---------------------------------------------------------------------------------------------
// Building

/** The three checkpoint files as bytes. Throws CheckpointError (or SafetensorsError for a bad tensor). */
export function buildCheckpoint(ck: Checkpoint): CheckpointFiles {
  checkJson(ck.config, 'config');
  checkJson(ck.progress, 'progress');
  if (!isPlainObject(ck.config)) throw new CheckpointError('config must be a JSON object');
  if (!Number.isSafeInteger(ck.progress.step) || ck.progress.step < 0) {
    throw new CheckpointError(`progress.step is ${String(ck.progress.step)}, not a non-negative integer`);
  }

  const params: Record<string, TensorToSave> = {};
  const manifest: Record<string, number[]> = {};
  for (const name of Object.keys(ck.params)) {
    const p = ck.params[name]!;
    if (!(p.data instanceof Float32Array))
      throw new CheckpointError(`parameter ${JSON.stringify(name)} data must be a Float32Array`);
    setOwn(params, name, { dtype: 'F32', shape: p.shape, data: p.data });
    setOwn(manifest, name, [...p.shape]);
  }

  const opt = ck.optimizer;
  if (typeof opt.name !== 'string') throw new CheckpointError('optimizer.name must be a string');
  const state: Record<string, TensorToSave> = {};
  for (const param of Object.keys(opt.slots)) {
    if (!Object.hasOwn(ck.params, param))
      throw new CheckpointError(`optimizer state for ${JSON.stringify(param)}, which is not a parameter`);
    const slots = opt.slots[param]!;
    for (const slot of Object.keys(slots)) {
      if (!IDENT.test(slot))
        throw new CheckpointError(`optimizer slot name ${JSON.stringify(slot)} is not an identifier`);
      const t = slots[slot]!;
      if (!(t.data instanceof Float32Array))
        throw new CheckpointError(`optimizer state ${JSON.stringify(`${param}.${slot}`)} data must be a Float32Array`);
      setOwn(state, `${param}.${slot}`, { dtype: 'F32', shape: t.shape, data: t.data });
    }
  }
  for (const name of Object.keys(opt.scalars)) {
    const v = opt.scalars[name];
    if (!IDENT.test(name))
      throw new CheckpointError(`optimizer scalar name ${JSON.stringify(name)} is not an identifier`);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new CheckpointError(`optimizer scalar ${name} is ${String(v)}, not a finite number`);
    setOwn(state, name, { dtype: 'F64', shape: [], data: new Float64Array([v]) });
  }

  const model = saveSafetensors(params, { shadergrad: String(CHECKPOINT_VERSION), kind: 'model' });
  const optimizer = saveSafetensors(state, {
    shadergrad: String(CHECKPOINT_VERSION),
    kind: 'optimizer',
    optimizer: opt.name,
  });
  const config = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: ck.config,
    progress: ck.progress,
    params: manifest,
    crc32: { 'model.safetensors': crc32(model), 'optimizer.safetensors': crc32(optimizer) },
  };
  return {
    'model.safetensors': model,
    'optimizer.safetensors': optimizer,
    'config.json': new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
  };
}

/** Throws unless `v` survives JSON.stringify → JSON.parse unchanged (no NaN, undefined, cycles, class instances). */
function checkJson(v: unknown, path: string, seen: Set<object> = new Set()): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CheckpointError(`${path} is ${v}, which JSON cannot hold`);
    return;
  }
  if (typeof v !== 'object') throw new CheckpointError(`${path} is a ${typeof v}, which JSON cannot hold`);
  if (seen.has(v)) throw new CheckpointError(`${path} refers back to itself`);
  seen.add(v);
  if (Array.isArray(v)) v.forEach((x, i) => checkJson(x, `${path}[${i}]`, seen));
  else if (isPlainObject(v))
    for (const k of Object.keys(v)) checkJson((v as Record<string, unknown>)[k], `${path}.${k}`, seen);
  else throw new CheckpointError(`${path} is a ${v.constructor?.name ?? 'non-plain object'}, not a plain JSON object`);
  seen.delete(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------
// Parsing

export interface ParseOptions {
  /** Check the CRC-32 of the tensor files against config.json (default true). */
  verifyCrc?: boolean;
}

/** Reads the three files back into a Checkpoint, checking them against each other. */
export function parseCheckpoint(files: Readonly<Record<string, Uint8Array>>, opts: ParseOptions = {}): Checkpoint {
  for (const f of CHECKPOINT_FILES)
    if (!(files[f] instanceof Uint8Array)) throw new CheckpointError(`missing file ${f}`);
  const meta = parseConfigJson(files['config.json']!);
  if (opts.verifyCrc ?? true) {
    for (const f of ['model.safetensors', 'optimizer.safetensors'] as const) {
      const got = crc32(files[f]!);
      if (got !== meta.crc32[f]) {
        throw new CheckpointError(
          `${f} has CRC-32 ${got}, config.json records ${meta.crc32[f]}: the file is corrupt or from another checkpoint`,
        );
      }
    }
  }

  const model = loadFile(files, 'model.safetensors');
  const params: Record<string, ParamTensor> = {};
  for (const [name, t] of model.tensors)
    setOwn(params, name, { shape: t.shape, data: f32(t, `parameter ${JSON.stringify(name)}`) });
  const want = Object.keys(meta.params);
  if (want.length !== model.tensors.size || want.some((n) => !model.tensors.has(n))) {
    throw new CheckpointError(
      `model.safetensors holds [${[...model.tensors.keys()].join(', ')}], config.json lists [${want.join(', ')}]`,
    );
  }
  for (const n of want) {
    const s = model.tensors.get(n)!.shape;
    if (s.join() !== meta.params[n]!.join() || s.length !== meta.params[n]!.length) {
      throw new CheckpointError(
        `parameter ${JSON.stringify(n)} has shape [${s.join(', ')}], config.json says [${meta.params[n]!.join(', ')}]`,
      );
    }
  }

  const opt = loadFile(files, 'optimizer.safetensors');
  const optimizer: OptimizerState = { name: opt.metadata['optimizer'] ?? '', slots: {}, scalars: {} };
  for (const [name, t] of opt.tensors) {
    const dot = name.lastIndexOf('.');
    if (dot < 0) {
      if (t.dtype !== 'F64' || t.shape.length !== 0)
        throw new CheckpointError(
          `optimizer scalar ${JSON.stringify(name)} is ${t.dtype} [${t.shape.join(', ')}], not a 0-d F64`,
        );
      setOwn(optimizer.scalars, name, t.data[0] as number);
      continue;
    }
    const param = name.slice(0, dot);
    const slot = name.slice(dot + 1);
    if (!Object.hasOwn(params, param))
      throw new CheckpointError(`optimizer state ${JSON.stringify(name)} belongs to no parameter`);
    if (!Object.hasOwn(optimizer.slots, param)) setOwn(optimizer.slots, param, {});
    setOwn(optimizer.slots[param]!, slot, { shape: t.shape, data: f32(t, `optimizer state ${JSON.stringify(name)}`) });
  }
  return { params, optimizer, config: meta.config, progress: meta.progress };
}

interface ConfigFile {
  config: JsonObject;
  progress: TrainingProgress;
  params: Record<string, number[]>;
  crc32: Record<'model.safetensors' | 'optimizer.safetensors', number>;
}

function parseConfigJson(bytes: Uint8Array): ConfigFile {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new CheckpointError(
      `config.json is not valid UTF-8 JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`,
    );
  }
  if (!isPlainObject(j) || j['format'] !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`config.json is not a ${CHECKPOINT_FORMAT} file`);
  if (j['version'] !== CHECKPOINT_VERSION)
    throw new CheckpointError(
      `config.json has version ${String(j['version'])}; this build reads version ${CHECKPOINT_VERSION}`,
    );
  const { config, progress, params, crc32: crc } = j;
  if (!isPlainObject(config)) throw new CheckpointError('config.json "config" is not an object');
  if (!isPlainObject(progress) || !Number.isSafeInteger(progress['step']))
    throw new CheckpointError('config.json "progress" lacks an integer step');
  if (
    !isPlainObject(params) ||
    !Object.values(params).every((s) => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0))
  ) {
    throw new CheckpointError('config.json "params" is not a map from name to shape');
  }
  if (
    !isPlainObject(crc) ||
    typeof crc['model.safetensors'] !== 'number' ||
    typeof crc['optimizer.safetensors'] !== 'number'
  ) {
    throw new CheckpointError('config.json "crc32" is missing or malformed');
  }
  return j as unknown as ConfigFile;
}

function loadFile(
  files: Readonly<Record<string, Uint8Array>>,
  name: CheckpointFileName,
): ReturnType<typeof loadSafetensors> {
  try {
    return loadSafetensors(files[name]!);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${name}: ${e.message}`);
    throw e;
  }
}

function f32(t: LoadedTensor, what: string): Float32Array {
  if (t.dtype !== 'F32' || !(t.data instanceof Float32Array))
    throw new CheckpointError(`${what} is ${t.dtype}, expected F32`);
  return t.data;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as in zlib and PNG)

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Browser helpers

/**
 * Saves each file through a temporary object URL and a clicked <a download>, named
 * `${prefix}${name}`. Browser only. Chrome asks the user once before allowing a page to
 * download several files.
 */
export function downloadCheckpoint(files: Readonly<Record<string, Uint8Array>>, prefix = ''): void {
  if (typeof document === 'undefined' || typeof URL.createObjectURL !== 'function') {
    throw new CheckpointError(
      'downloadCheckpoint needs a browser page (document and URL.createObjectURL); in Node, write the bytes with fs',
    );
  }
  for (const name of Object.keys(files)) {
    const bytes = files[name]!;
    const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
    const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    const url = URL.createObjectURL(new Blob([owned], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = prefix + name;
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
    // revoking at once can cancel the download in some browsers; a minute is plenty
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/**
 * Reads checkpoint files chosen by the user (<input type=file multiple>), matching each of the
 * three names as a suffix so a download prefix ("run3-model.safetensors") is fine.
 */
export async function readCheckpointFiles(chosen: Iterable<Blob & { name: string }>): Promise<CheckpointFiles> {
  const found: Partial<Record<CheckpointFileName, Blob>> = {};
  for (const f of chosen) {
    for (const want of CHECKPOINT_FILES) {
      if (!f.name.endsWith(want)) continue;
      if (found[want] !== undefined) throw new CheckpointError(`two files end in ${want}`);
      found[want] = f;
    }
  }
  const out: Partial<CheckpointFiles> = {};
  for (const want of CHECKPOINT_FILES) {
    const f = found[want];
    if (f === undefined) throw new CheckpointError(`no chosen file ends in ${want}`);
    out[want] = new Uint8Array(await f.arrayBuffer());
  }
  return out as CheckpointFiles;
}
