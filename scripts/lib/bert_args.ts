// Arguments of scripts/bert.ts (kept apart from the script so unit tests can import them).
import { existsSync } from 'node:fs';
import path from 'node:path';

export const BERT_USAGE = `usage: npm run bert -- fill-mask  DIR [TEXT ...] [--file FILE] [--top-k K] [--json]
       npm run bert -- classify   DIR [TEXT ...] [--file FILE] [--json]
       npm run bert -- similarity DIR --word WORD [TEXT ...] [--file FILE] [--json]
DIR: a run folder of \`npm run train -- bert\` (fill-mask and similarity read its pretrained/,
classify its classifier/), such a checkpoint folder itself, or a Hugging Face BERT folder
(config.json, model.safetensors, vocab.txt or tokenizer.json). --file: one text per line.`;

export type BertOp = 'fill-mask' | 'classify' | 'similarity';

export interface BertArgs {
  op: BertOp;
  /** The checkpoint folder itself (pretrained/ or classifier/ resolved). */
  dir: string;
  texts: string[];
  file: string | null;
  topK: number;
  word: string;
  json: boolean;
}

/** The checkpoint folder an op reads: DIR/pretrained or DIR/classifier when DIR is a run folder. */
export function checkpointDir(dir: string, op: BertOp, exists: (p: string) => boolean = existsSync): string {
  const sub = path.join(dir, op === 'classify' ? 'classifier' : 'pretrained');
  return exists(path.join(sub, 'config.json')) ? sub : dir;
}

export function parseBertArgs(argv: readonly string[], exists: (p: string) => boolean = existsSync): BertArgs | string {
  const [op, ...rest] = argv;
  if (op !== 'fill-mask' && op !== 'classify' && op !== 'similarity')
    return op === undefined ? 'no operation given' : `unknown operation "${op}" (fill-mask, classify or similarity)`;
  const a: BertArgs = { op, dir: '', texts: [], file: null, topK: 5, word: '', json: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = (): string | null => (rest[i + 1] === undefined ? null : rest[++i]!);
    if (arg === '--json') a.json = true;
    else if (arg === '--top-k') {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1 || v > 1e6) return `--top-k takes a whole number ≥ 1, got "${rest[i] ?? ''}"`;
      if (op !== 'fill-mask') return '--top-k is for fill-mask';
      a.topK = v;
    } else if (arg === '--word') {
      const v = value();
      if (!v) return '--word needs a word';
      if (op !== 'similarity') return '--word is for similarity';
      a.word = v;
    } else if (arg === '--file') {
      const v = value();
      if (!v) return '--file needs a path';
      if (!exists(v)) return `--file ${v} does not exist`;
      a.file = v;
    } else if (arg.startsWith('--')) return `unknown option "${arg}"`;
    else if (!a.dir) a.dir = arg;
    else a.texts.push(arg);
  }
  if (!a.dir) return 'no checkpoint folder given';
  a.dir = checkpointDir(a.dir, op, exists);
  if (!exists(path.join(a.dir, 'config.json')))
    return `${a.dir} has no config.json (give a run folder of \`npm run train -- bert\` or its ${op === 'classify' ? 'classifier' : 'pretrained'}/ folder)`;
  if (!a.texts.length && !a.file) return 'no text given (as arguments or --file)';
  if (op === 'similarity' && !a.word) return 'similarity needs --word WORD';
  if (op === 'similarity' && a.texts.length + (a.file ? 2 : 0) < 2) return 'similarity needs at least two texts';
  return a;
}

/** Texts of a --file: one per line, blank lines skipped. */
export function textsOfFile(content: string): string[] {
  return content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
