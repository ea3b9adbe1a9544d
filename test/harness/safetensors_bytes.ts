// Byte-level helpers for the safetensors tests: hand-built files and assertions that a read or a
// save fails with a SafetensorsError naming the problem.
import assert from 'node:assert/strict';
import {
  SafetensorsError,
  loadSafetensors,
  saveSafetensors,
  type LoadOptions,
  type TensorToSave,
} from '../../src/io/safetensors';
import { readSafetensorsHeader } from '../../src/io/safetensors_header';

export const enc = new TextEncoder();

export function u64le(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const f32le = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

/** A file with the given header text (not padded) and `data` (bytes, or a count of zero bytes). */
export function rawFile(header: string | object, data: Uint8Array | number = 0): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  return concat(u64le(h.length), h, typeof data === 'number' ? new Uint8Array(data) : data);
}

export function rejects(bytes: Uint8Array, message: RegExp, tensor?: string, opts?: LoadOptions): void {
  for (const read of [() => readSafetensorsHeader(bytes, opts), () => loadSafetensors(bytes, opts)]) {
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected a SafetensorsError, got ${String(e)}`);
      assert.match(e.message, message);
      assert.equal(e.tensor, tensor, `error.tensor for: ${e.message}`);
      return true;
    });
  }
}

export function saveRejects(
  tensors: Record<string, TensorToSave>,
  message: RegExp,
  metadata?: Record<string, string>,
): void {
  assert.throws(
    () => saveSafetensors(tensors, metadata),
    (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected a SafetensorsError, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    },
  );
}
