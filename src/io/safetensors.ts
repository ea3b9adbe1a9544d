// Safetensors files (the Hugging Face format): save and load; reading and validating the header
// without decoding is safetensors_header.ts.
//
// Layout: 8 bytes little-endian u64 N | N bytes UTF-8 JSON header | data section.
// The header maps tensor name → {"dtype", "shape", "data_offsets": [begin, end]}, offsets in
// bytes relative to the start of the data section; an optional "__metadata__" maps string →
// string. Data is raw little-endian, row-major. Facts below marked (ref) are from the reference
// implementation, huggingface/safetensors, safetensors/src/tensor.rs.
//
// Loading treats the file as hostile: every declared size is checked against the file before
// anything is allocated, with overflow-safe arithmetic, and every problem is a SafetensorsError
// naming the tensor and the numbers. Allocation happens only after the whole header validates,
// and only of sizes that lie inside the file (at most 2× the data section, for F16/BF16 → f32).

import { decodeBf16, decodeF16 } from './half';
import { checkBoolBytes, encodeTensorBytes, type TensorData } from './safetensors_encode';
import { readSafetensorsHeader, type ReadOptions } from './safetensors_header';
import {
  DTYPES,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  SafetensorsError,
  LITTLE_ENDIAN,
  compareCodePoints,
  describe,
  elementCount,
  isWellFormed,
  quote,
  type Dtype,
} from './safetensors_common';

export { DTYPES, MAX_HEADER_BYTES, SafetensorsError, type Dtype } from './safetensors_common';
export type { TensorData } from './safetensors_encode';

// ---------------------------------------------------------------------------------------------
// Saving

export interface TensorToSave {
  dtype: Dtype;
  shape: readonly number[];
  /**
   * Row-major values, length = product of shape. A typed array of the dtype's own kind is copied
   * as is (F16 and BF16: a Uint16Array is taken as raw bit patterns; I64/U64: BigInt64Array /
   * BigUint64Array). Any other numbers are converted, and must fit the dtype exactly for integer
   * dtypes (I64/U64: safe integers); floats round to nearest even.
   */
  data: TensorData;
}

/**
 * Serialises tensors to safetensors bytes. The output is deterministic: tensors are laid out
 * contiguously, sorted by descending dtype alignment and then by name (code-point order), which
 * is what the reference writer does (ref: `prepare` sorts by `right.dtype().cmp(&left.dtype())
 * .then(lname.cmp(rname))`; versions before it sorted by name only). Since the header is padded
 * to a multiple of 8 and sizes shrink along the file, every tensor starts aligned to its element
 * size. The header JSON lists "__metadata__" first, then tensors in file order, compact, with
 * keys dtype, shape, data_offsets, as the reference writes it (the tests check the byte vectors
 * of the reference's own tests); metadata keys, a hash map there, are sorted here.
 */
export function saveSafetensors(
  tensors: Readonly<Record<string, TensorToSave>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const entries = Object.keys(tensors).map((name) => {
    if (name === METADATA_KEY)
      throw new SafetensorsError(`"${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!isWellFormed(name)) throw new SafetensorsError('name contains a lone UTF-16 surrogate', name);
    const t = tensors[name];
    if (typeof t !== 'object' || t === null)
      throw new SafetensorsError(`entry is ${describe(t)}, not {dtype, shape, data}`, name);
    if (!Object.hasOwn(DTYPES, t.dtype)) throw new SafetensorsError(`unknown dtype ${quote(String(t.dtype))}`, name);
    const count = elementCount(t.shape, name);
    return { name, dtype: t.dtype, shape: t.shape, bytes: encodeTensorBytes(name, t.dtype, count, t.data) };
  });
  entries.sort((a, b) => DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${metadataJson(metadata)}`);
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.bytes.byteLength;
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8; // padded with spaces (ref: "Force alignment to 8 bytes")
  if (headerLength > MAX_HEADER_BYTES)
    throw new SafetensorsError(`header would be ${headerLength} bytes, over the cap of ${MAX_HEADER_BYTES}`);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const e of entries) {
    out.set(e.bytes, pos);
    pos += e.bytes.byteLength;
  }
  return out;
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  const keys = Object.keys(metadata).sort(compareCodePoints);
  const fields = keys.map((k) => {
    const v = metadata[k];
    if (typeof v !== 'string') throw new SafetensorsError(`metadata ${quote(k)} is a ${typeof v}, not a string`);
    if (!isWellFormed(k) || !isWellFormed(v))
      throw new SafetensorsError(`metadata ${quote(k)} contains a lone UTF-16 surrogate`);
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `{${fields.join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Loading

export type LoadedData =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

export interface LoadedTensor {
  dtype: Dtype;
  shape: number[];
  /**
   * A fresh array (never a view of the input): F32/F16/BF16 → Float32Array; F64 → Float64Array;
   * I64/U64 → Float64Array of exact integers (an element beyond ±(2^53 - 1) is an error) or, with
   * `int64: 'bigint'`, BigInt64Array/BigUint64Array; BOOL → Uint8Array of 0/1; others → their
   * own typed array.
   */
  data: LoadedData;
}

export interface LoadOptions extends ReadOptions {
  /** How to return I64/U64 tensors (default 'number'). */
  int64?: 'number' | 'bigint';
}

/** Validates the whole file, then decodes every tensor. */
export function loadSafetensors(
  bytes: Uint8Array,
  opts: LoadOptions = {},
): { tensors: Map<string, LoadedTensor>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(bytes, opts);
  // typed-array views below read in host order; every platform that runs WebGPU is little-endian
  if (!LITTLE_ENDIAN) throw new SafetensorsError('loading needs a little-endian host');
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, info] of header.tensors) {
    const raw = bytes.slice(header.dataStart + info.dataOffsets[0], header.dataStart + info.dataOffsets[1]);
    tensors.set(name, {
      dtype: info.dtype,
      shape: info.shape,
      data: decode(name, info.dtype, raw, opts.int64 ?? 'number'),
    });
  }
  return { tensors, metadata: header.metadata };
}

/** `raw` is a fresh copy, so its buffer is aligned and owned. */
function decode(name: string, dtype: Dtype, raw: Uint8Array, int64: 'number' | 'bigint'): LoadedData {
  const buf = raw.buffer as ArrayBuffer;
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'F16':
      return decodeF16(new Uint16Array(buf));
    case 'BF16':
      return decodeBf16(new Uint16Array(buf));
    case 'I32':
      return new Int32Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'U16':
      return new Uint16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'U8':
      return raw;
    case 'BOOL':
      checkBoolBytes(name, raw);
      return raw;
    case 'I64':
    case 'U64':
      if (int64 === 'bigint') return dtype === 'I64' ? new BigInt64Array(buf) : new BigUint64Array(buf);
      return int64ToNumbers(name, dtype, buf);
  }
}

function int64ToNumbers(name: string, dtype: 'I64' | 'U64', buf: ArrayBuffer): Float64Array {
  const words = new Uint32Array(buf);
  const out = new Float64Array(words.length / 2);
  const signed = dtype === 'I64';
  for (let i = 0; i < out.length; i++) {
    const lo = words[2 * i]!;
    const hi = signed ? words[2 * i + 1]! | 0 : words[2 * i + 1]!;
    const v = hi * 4294967296 + lo; // exact whenever the result is a safe integer
    if (!Number.isSafeInteger(v)) {
      const exact = signed ? new BigInt64Array(buf, 8 * i, 1)[0]! : new BigUint64Array(buf, 8 * i, 1)[0]!;
      throw new SafetensorsError(`element ${i} is ${exact}, beyond ±(2^53 - 1); load with { int64: 'bigint' }`, name);
    }
    out[i] = v;
  }
  return out;
}
