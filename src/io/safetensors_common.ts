// Shared pieces of the safetensors reader and writer: the dtype table, the error type, and
// checked shape arithmetic. Facts marked (ref) are from huggingface/safetensors,
// safetensors/src/tensor.rs.
import { InputError } from '../util/errors';

/** The dtypes this module reads and writes. */
export type Dtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

// `rank` is the position in the reference's Dtype enum, which is ordered by alignment (ref:
// "They MUST be in increasing alignment order"); the writer sorts by it.
export const DTYPES: { readonly [D in Dtype]: { readonly size: number; readonly rank: number } } = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  I16: { size: 2, rank: 3 },
  U16: { size: 2, rank: 4 },
  F16: { size: 2, rank: 5 },
  BF16: { size: 2, rank: 6 },
  I32: { size: 4, rank: 7 },
  U32: { size: 4, rank: 8 },
  F32: { size: 4, rank: 9 },
  F64: { size: 8, rank: 10 },
  I64: { size: 8, rank: 11 },
  U64: { size: 8, rank: 12 },
};

/** Dtypes the reference defines that we recognise but do not decode. */
export const UNSUPPORTED_DTYPES = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/** The header size cap: 100,000,000 bytes (ref: `MAX_HEADER_SIZE: usize = 100_000_000`). */
export const MAX_HEADER_BYTES = 100_000_000;

export const METADATA_KEY = '__metadata__';

/** Typed-array views read and write in host order; every platform that runs WebGPU is little-endian. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A malformed or hostile safetensors file (bad input: the file, not the program). */
export class SafetensorsError extends InputError {
  /** The tensor the problem is about, if any. */
  readonly tensor: string | undefined;
  constructor(detail: string, tensor?: string) {
    super(tensor === undefined ? `safetensors: ${detail}` : `safetensors: tensor ${quote(tensor)}: ${detail}`);
    this.name = 'SafetensorsError';
    this.tensor = tensor;
  }
}

/** A JSON-quoted name for messages, cut short so a hostile 50 MB name cannot flood a log. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
}

export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Orders strings by Unicode code point, as Rust orders `String`s (UTF-16 order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Product of a shape, checked: non-negative safe-integer dims and a safe-integer product. */
export function elementCount(shape: readonly unknown[], tensor: string): number {
  if (!Array.isArray(shape)) throw new SafetensorsError(`shape is ${describe(shape)}, not an array`, tensor);
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(`shape[${i}] is ${describe(d)}, not a non-negative integer`, tensor);
    }
    // the reference folds with checked_mul in order, so [2^40, 2^40, 0] overflows there too
    if (d !== 0 && count > Math.floor(Number.MAX_SAFE_INTEGER / d)) {
      throw new SafetensorsError(`shape [${shape.join(', ')}] has more than 2^53 - 1 elements`, tensor);
    }
    count *= d;
  }
  return count;
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Assigns an own property, also for the key "__proto__" (which `o[k] = v` would not). */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
