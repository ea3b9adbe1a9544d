// Turning caller tensors into the little-endian bytes of a safetensors data section, with the
// values checked against the dtype: integers must fit exactly, BOOL must be 0/1, 64-bit integers
// given as numbers must be safe integers. Nothing is silently wrapped or truncated.

import { f32ToBf16Bits, f32ToF16Bits } from './half';
import { LITTLE_ENDIAN, SafetensorsError, describe, type Dtype } from './safetensors_common';

export type TensorData =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array
  | readonly number[]
  | readonly boolean[];

type IntArrayCtor =
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

const INT_RANGES: Partial<Record<Dtype, [IntArrayCtor, number, number]>> = {
  I32: [Int32Array, -(2 ** 31), 2 ** 31 - 1],
  U32: [Uint32Array, 0, 2 ** 32 - 1],
  I16: [Int16Array, -(2 ** 15), 2 ** 15 - 1],
  U16: [Uint16Array, 0, 2 ** 16 - 1],
  I8: [Int8Array, -(2 ** 7), 2 ** 7 - 1],
  U8: [Uint8Array, 0, 2 ** 8 - 1],
};

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The tensor's bytes in file order; a view of `data` when it already has the dtype's layout. */
export function encodeTensorBytes(name: string, dtype: Dtype, count: number, data: TensorData): Uint8Array {
  const length = (data as { length?: unknown } | null)?.length;
  if (typeof length !== 'number' || (!ArrayBuffer.isView(data) && !Array.isArray(data))) {
    throw new SafetensorsError(`data is ${describe(data)}, not an array or typed array`, name);
  }
  if (length !== count) throw new SafetensorsError(`data has ${length} elements but the shape holds ${count}`, name);
  if (!LITTLE_ENDIAN) throw new SafetensorsError('saving needs a little-endian host');

  const ints = INT_RANGES[dtype];
  if (ints !== undefined) {
    const [Ctor, lo, hi] = ints;
    if (data instanceof Ctor) return bytesOf(data);
    const out = new Ctor(count);
    const src = numbers(name, dtype, data);
    for (let i = 0; i < count; i++) {
      const v = src[i]!;
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new SafetensorsError(`element ${i} is ${v}, not a ${dtype} integer in [${lo}, ${hi}]`, name);
      out[i] = v;
    }
    return bytesOf(out);
  }
  switch (dtype) {
    case 'F64':
      return bytesOf(data instanceof Float64Array ? data : Float64Array.from(numbers(name, dtype, data)));
    case 'F32':
      return bytesOf(data instanceof Float32Array ? data : Float32Array.from(numbers(name, dtype, data)));
    case 'F16':
    case 'BF16': {
      if (data instanceof Uint16Array) return bytesOf(data); // raw bit patterns
      const src = numbers(name, dtype, data);
      const enc = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = enc(src[i]!); // via float32: rounds twice from float64
      return bytesOf(out);
    }
    case 'I64':
    case 'U64':
      return bytesOf(encodeInt64(name, dtype, count, data));
    case 'BOOL':
      return encodeBool(name, count, data);
    default:
      throw new SafetensorsError(`unknown dtype ${describe(dtype)}`, name);
  }
}

/** The values as numbers; BigInt arrays and booleans are refused for numeric dtypes. */
function numbers(name: string, dtype: Dtype, data: TensorData): ArrayLike<number> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new SafetensorsError(`${dtype} data cannot be a ${data.constructor.name}`, name);
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== 'number')
        throw new SafetensorsError(`element ${i} is ${describe(data[i])}, not a number`, name);
    }
  }
  return data as ArrayLike<number>;
}

function encodeInt64(
  name: string,
  dtype: 'I64' | 'U64',
  count: number,
  data: TensorData,
): BigInt64Array | BigUint64Array {
  const Big = dtype === 'I64' ? BigInt64Array : BigUint64Array;
  if (data instanceof Big) return data;
  const lo = dtype === 'I64' ? -Number.MAX_SAFE_INTEGER : 0;
  const src = numbers(name, dtype, data);
  const out = new Big(count);
  for (let i = 0; i < count; i++) {
    const v = src[i]!;
    if (!Number.isSafeInteger(v) || v < lo) {
      throw new SafetensorsError(
        `element ${i} is ${v}, not a ${dtype} value that is a safe integer; pass a ${Big.name} instead`,
        name,
      );
    }
    out[i] = BigInt(v);
  }
  return out;
}

function encodeBool(name: string, count: number, data: TensorData): Uint8Array {
  if (data instanceof Uint8Array) {
    checkBoolBytes(name, data);
    return data;
  }
  if (ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw new SafetensorsError(
      `BOOL data must be a Uint8Array of 0/1 or an array of booleans, not a ${data.constructor.name}`,
      name,
    );
  }
  const out = new Uint8Array(count);
  const src = data as readonly (number | boolean)[];
  for (let i = 0; i < count; i++) {
    const v = src[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0)
      throw new SafetensorsError(`element ${i} is ${describe(v)}, not a boolean or 0/1`, name);
  }
  return out;
}

/** BOOL tensors hold one byte per element, 0 or 1; anything else marks a corrupt file. */
export function checkBoolBytes(name: string, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 1) throw new SafetensorsError(`BOOL element ${i} is the byte ${bytes[i]}, not 0 or 1`, name);
  }
}
