// The safetensors header (layout and ref notes: src/io/safetensors.ts): reading it and validating
// it against the file length without touching tensor data. Every declared size is checked with
// overflow-safe arithmetic, the tensors must tile the data section exactly, and every problem is
// a SafetensorsError naming the tensor and the numbers. Loading (safetensors.ts) decodes nothing
// until this has passed.

import { findJsonProblem } from './json_scan';
import {
  DTYPES,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  SafetensorsError,
  UNSUPPORTED_DTYPES,
  describe,
  elementCount,
  isWellFormed,
  quote,
  setOwn,
  type Dtype,
} from './safetensors_common';

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** N, the header's length in bytes (padding included). */
  headerLength: number;
  /** Where the data section starts in the file: 8 + N. */
  dataStart: number;
  /** Tensors in file order (by offset). */
  tensors: Map<string, TensorInfo>;
  /** The "__metadata__" map; empty when the file has none. */
  metadata: Record<string, string>;
}

export interface ReadOptions {
  /** Reject headers longer than this (default MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
}

/**
 * Parses and fully validates the header against the file length, without touching tensor data.
 * Throws SafetensorsError for anything malformed; allocates only the header text and its parse.
 */
export function readSafetensorsHeader(bytes: Uint8Array, opts: ReadOptions = {}): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8)
    throw new SafetensorsError(`file is ${bytes.length} bytes, shorter than the 8-byte header length field`);
  const cap = opts.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(cap)) throw new SafetensorsError(`header length ${n64} is over the cap of ${cap} bytes`);
  const n = Number(n64);
  if (n > bytes.length - 8) {
    throw new SafetensorsError(
      `header length ${n} runs past the end of the file: only ${bytes.length - 8} bytes follow the length field`,
    );
  }
  const json = parseHeaderJson(bytes.subarray(8, 8 + n));
  const dataLength = bytes.length - 8 - n;

  const metadata: Record<string, string> = {};
  const infos: { name: string; info: TensorInfo }[] = [];
  for (const name of Object.keys(json)) {
    const value = json[name];
    // serde_json (the reference) refuses escaped lone surrogates; JSON.parse lets them through
    if (!isWellFormed(name)) throw new SafetensorsError('name contains a lone UTF-16 surrogate', name);
    if (name === METADATA_KEY) readMetadata(value, metadata);
    else infos.push({ name, info: readTensorInfo(name, value, dataLength) });
  }
  checkCoverage(infos, dataLength);
  const tensors = new Map<string, TensorInfo>();
  for (const { name, info } of infos) tensors.set(name, info);
  return { headerLength: n, dataStart: 8 + n, tensors, metadata };
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a leading BOM in the text, so it fails as JSON as it does in the reference
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`header (${headerBytes.length} bytes) is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(`header is ${describe(json)}, not a JSON object`);
  }
  const problem = findJsonProblem(text);
  if (problem !== undefined) {
    // name the tensor when the problem sits inside a tensor entry
    const path = problem.path;
    const tensor = path.length > 0 && path[0] !== METADATA_KEY ? path[0] : undefined;
    const rest = tensor === undefined ? path : path.slice(1);
    const where =
      rest.length > 0
        ? `in ${rest.map(quote).join(' → ')}`
        : tensor === undefined
          ? 'at the top level'
          : 'in its entry';
    throw new SafetensorsError(
      problem.kind === 'duplicate-key'
        ? `header has the key ${quote(problem.key)} twice ${where} (JSON.parse would silently keep the last)`
        : `header has the number ${problem.token.slice(0, 40)} ${where}; shapes and offsets must be plain non-negative integers`,
      tensor,
    );
  }
  return json as Record<string, unknown>;
}

function readMetadata(value: unknown, into: Record<string, string>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(`"${METADATA_KEY}" is ${describe(value)}, not an object of strings`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new SafetensorsError(`"${METADATA_KEY}" value for ${quote(k)} is ${describe(v)}, not a string`);
    if (!isWellFormed(k) || !isWellFormed(v))
      throw new SafetensorsError(`"${METADATA_KEY}" entry ${quote(k)} contains a lone UTF-16 surrogate`);
    setOwn(into, k, v);
  }
}

const INFO_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

function readTensorInfo(name: string, value: unknown, dataLength: number): TensorInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(`entry is ${describe(value)}, not an object`, name);
  }
  const entry = value as Record<string, unknown>;
  for (const k of Object.keys(entry))
    if (!INFO_FIELDS.has(k)) throw new SafetensorsError(`unexpected field ${quote(k)}`, name);
  for (const k of INFO_FIELDS) if (!Object.hasOwn(entry, k)) throw new SafetensorsError(`missing field "${k}"`, name);

  const dtype = entry['dtype'];
  if (typeof dtype !== 'string') throw new SafetensorsError(`dtype is ${describe(dtype)}, not a string`, name);
  if (!Object.hasOwn(DTYPES, dtype)) {
    const why = UNSUPPORTED_DTYPES.has(dtype) ? 'is not supported by this reader' : 'is not a safetensors dtype';
    throw new SafetensorsError(`dtype ${quote(dtype)} ${why} (supported: ${Object.keys(DTYPES).join(', ')})`, name);
  }
  const d = dtype as Dtype;
  const shape = entry['shape'];
  const count = elementCount(shape as unknown[], name);

  const offsets = entry['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SafetensorsError(
      `data_offsets is ${describe(offsets)}${Array.isArray(offsets) ? ` of length ${offsets.length}` : ''}, not [begin, end]`,
      name,
    );
  }
  const [begin, end] = offsets as unknown[];
  for (const o of [begin, end]) {
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
      throw new SafetensorsError(`data_offsets holds ${describe(o)}, not a non-negative integer`, name);
    }
  }
  const b = begin as number;
  const e = end as number;
  if (b > e) throw new SafetensorsError(`data_offsets [${b}, ${e}] has begin > end`, name);
  const size = DTYPES[d].size;
  if (count > Math.floor(Number.MAX_SAFE_INTEGER / size)) {
    throw new SafetensorsError(
      `shape [${(shape as number[]).join(', ')}] × ${d} (${size} bytes) is more than 2^53 - 1 bytes`,
      name,
    );
  }
  if (count * size !== e - b) {
    throw new SafetensorsError(
      `shape [${(shape as number[]).join(', ')}] × ${d} (${size} bytes) = ${count * size} bytes, but data_offsets [${b}, ${e}] span ${e - b} bytes`,
      name,
    );
  }
  if (e > dataLength)
    throw new SafetensorsError(
      `data_offsets [${b}, ${e}] run past the end of the ${dataLength}-byte data section`,
      name,
    );
  return { dtype: d, shape: (shape as number[]).slice(), dataOffsets: [b, e] };
}

/**
 * The tensors must tile the data section exactly: sorted by offsets, each begins where the last
 * ended and the last ends at the end of the file (ref: `validate` returns InvalidOffset when
 * `s != start`, and `read_metadata` returns MetadataIncompleteBuffer unless `buffer_end + 8 + n
 * == buffer_len`: "The last offset **must** be the end of the file"). Sorts `infos` in place.
 */
function checkCoverage(infos: { name: string; info: TensorInfo }[], dataLength: number): void {
  infos.sort((x, y) => x.info.dataOffsets[0] - y.info.dataOffsets[0] || x.info.dataOffsets[1] - y.info.dataOffsets[1]);
  let covered = 0;
  let prev: { name: string; info: TensorInfo } | undefined;
  for (const cur of infos) {
    const [b, e] = cur.info.dataOffsets;
    if (b > covered) {
      const after =
        prev === undefined ? 'at the start of the data section' : `between ${quote(prev.name)} and ${quote(cur.name)}`;
      throw new SafetensorsError(`bytes [${covered}, ${b}) of the data section belong to no tensor (a gap ${after})`);
    }
    if (b < covered) {
      const [pb, pe] = prev!.info.dataOffsets;
      throw new SafetensorsError(
        `data_offsets [${b}, ${e}] overlap tensor ${quote(prev!.name)} at [${pb}, ${pe}]`,
        cur.name,
      );
    }
    covered = e;
    prev = cur;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      `the data section is ${dataLength} bytes but tensors cover only [0, ${covered}): trailing bytes belong to no tensor`,
    );
  }
}
