// Checkpoint folders named on the command line (`--resume DIR`, `npm run generate -- DIR`,
// `npm run bert -- op DIR`), read and checked in Node before the browser starts, by the same
// pure code the pages run (src/models/gpt/folder.ts, src/models/bert/folder.ts). Every refusal is
// an InputError that starts with how the user named the folder.
import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InputError, text, gpt, bert } from '../../src/index';

/** The file's stats, or null when nothing is there. */
export function statOf(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** An InputError re-thrown with `label` in front; other errors pass as they are. */
function relabel(label: string, e: unknown): never {
  if (e instanceof InputError) throw new InputError(`${label}: ${e.message}`);
  throw e;
}

/** Run `fn`; an InputError it throws gets `label` in front (other errors pass). */
export function about<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return relabel(label, e);
  }
}

/** `about` for an async `fn`. */
export function aboutAsync<T>(label: string, fn: () => Promise<T>): Promise<T> {
  return fn().catch((e: unknown) => relabel(label, e));
}

/** A user's text file: there, a file, UTF-8 text and not empty (src/util/utf8.ts). */
export function readTextFile(label: string, p: string): string {
  const st = statOf(p);
  if (!st) throw new InputError(`${label}: no such file`);
  if (st.isDirectory()) throw new InputError(`${label}: a folder, not a file`);
  return text.decodeUtf8Text(label, new Uint8Array(readFileSync(p)));
}

/** The files of `names` that `dir` holds (a folder that must exist), by name. */
export function readFolder(label: string, dir: string, names: readonly string[]): Record<string, Uint8Array> {
  const st = statOf(dir);
  if (!st) throw new InputError(`${label}: no such folder`);
  if (!st.isDirectory()) throw new InputError(`${label}: a file, not a folder`);
  const files: Record<string, Uint8Array> = {};
  for (const n of names) {
    const p = path.join(dir, n);
    const s = statOf(p);
    if (s && !s.isFile()) throw new InputError(`${label}: ${n} is not a file`);
    if (s) files[n] = new Uint8Array(readFileSync(p));
  }
  return files;
}

/** What --resume and generate read of a gpt folder: ours (the optimizer state too, when there) or Hugging Face's. */
export const GPT_RESUME_FILES = gpt.GPT_ALL_FILES;

/** A GPT folder, opened and checked; `label` names it in errors (e.g. "--resume runs/gpt-1"). */
export function openGptFolderAt(
  label: string,
  dir: string,
): { folder: gpt.GptFolder; files: Record<string, Uint8Array> } {
  const files = readFolder(label, dir, GPT_RESUME_FILES);
  // only whether they exist matters (openGptFolder then says to convert): never read a pickle
  for (const n of ['pytorch_model.bin', 'model.safetensors.index.json'])
    if (!files['model.safetensors'] && statOf(path.join(dir, n))?.isFile()) files[n] = new Uint8Array(0);
  return { folder: about(label, () => gpt.openGptFolder(files)), files };
}

/**
 * A LoRA adapter folder (PEFT's adapter files; ours also carry optimizer and run state) and the
 * base model it adapts: `base` if given, else adapter_config.json's base_model_name_or_path (a
 * folder, as PEFT records it: absolute, or relative to the working directory or to the adapter).
 */
export function openGptAdapterAt(
  label: string,
  dir: string,
  base?: string,
): { base: string; folder: gpt.GptFolder; files: Record<string, Uint8Array>; adapter: Record<string, Uint8Array> } {
  const adapter = readFolder(label, dir, gpt.GPT_LORA_RUN_FILES);
  about(label, () => gpt.readAdapterConfig(adapter));
  const named = about(label, () => {
    const j = JSON.parse(new TextDecoder().decode(adapter['adapter_config.json'])) as Record<string, unknown>;
    return typeof j['base_model_name_or_path'] === 'string' ? j['base_model_name_or_path'] : null;
  });
  const candidates = base ? [base] : named ? [named, path.join(dir, named)] : [];
  const found = candidates.find((c) => statOf(path.join(c, 'config.json'))?.isFile());
  if (!found)
    throw new InputError(
      `${label}: a LoRA adapter, and its base model ${base ?? named ?? '(adapter_config.json names none)'} is not a folder here: give it with --base DIR`,
    );
  const { folder, files } = openGptFolderAt(`${label}: base model ${found}`, found);
  return { base: found, folder, files, adapter };
}

/** Whether `dir` holds a LoRA adapter (adapter_config.json) rather than a whole model. */
export function isAdapterFolder(dir: string): boolean {
  return statOf(path.join(dir, 'adapter_config.json')) !== null && statOf(path.join(dir, 'model.safetensors')) === null;
}

/** The files of a BERT folder (Hugging Face's layout, tokenizer.json too, plus our optimizer state). */
export const BERT_FILES = bert.BERT_FOLDER_FILES;

/** A BERT folder, opened and checked. */
export function openBertFolderAt(
  label: string,
  dir: string,
): { folder: bert.BertFolder; files: Record<string, Uint8Array> } {
  const files = readFolder(label, dir, BERT_FILES);
  // only whether they exist matters (openBertFolder then says to convert): never read a pickle
  for (const n of ['pytorch_model.bin', 'model.safetensors.index.json'])
    if (!files['model.safetensors'] && statOf(path.join(dir, n))?.isFile()) files[n] = new Uint8Array(0);
  return { folder: about(label, () => bert.openBertFolder(files)), files };
}

/** Files as base64 under `prefix` (how they travel to a page: page.evaluate passes strings). */
export function asBase64(files: Readonly<Record<string, Uint8Array>>, prefix = ''): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([n, b]) => [`${prefix}${n}`, Buffer.from(b).toString('base64')]),
  );
}
