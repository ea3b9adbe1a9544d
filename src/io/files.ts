// Checks shared by every reader of a user's checkpoint folder (src/models/gpt/folder.ts,
// src/models/bert/folder.ts): a problem in a file becomes one InputError that names the file once.
import { InputError } from '../util/errors';

/** An error's message, whatever was thrown. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Run `fn`; any error it throws becomes an InputError about `file` (named once). */
export function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const m = messageOf(e);
    throw new InputError(m.includes(file) ? m : `${file}: ${m}`);
  }
}

/** A JSON object from a file's bytes: UTF-8, valid JSON, an object (not an array or a scalar). */
export function jsonObjectOf(file: string, bytes: Uint8Array): Record<string, unknown> {
  return inFile(file, () => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new Error('not UTF-8 text');
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`not valid JSON (${messageOf(e).slice(0, 120)})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(
        `expected a JSON object, got ${Array.isArray(v) ? 'an array' : String(JSON.stringify(v)).slice(0, 40)}`,
      );
    return v as Record<string, unknown>;
  });
}

/** Refuse a folder that lacks any of `need` (by file name), saying what the folder should hold. */
export function requireFiles(
  files: Readonly<Record<string, Uint8Array>>,
  need: readonly string[],
  writer: string,
): void {
  const missing = need.filter((f) => !files[f]);
  if (missing.length)
    throw new InputError(`no ${missing.join(', ')} (a folder written by \`${writer}\` has ${need.join(', ')})`);
}
