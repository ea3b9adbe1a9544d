// The tokenizer interface shared by every model that reads text (GPT, BERT, the demos, the CLI).
// A tokenizer maps a string to integer ids in [0, vocabSize) and back, and saves itself as a
// plain JSON object (the formats are documented next to each implementation: char.ts, bpe.ts,
// wordpiece.ts, gpt2_bpe.ts). `tokenizerFromJSON` restores any of them from that object.
//
// Round trips: `decode(encode(s)) === s` holds exactly for the byte-level BPE on any string, for
// the char tokenizer on strings whose characters are all in its vocabulary, and for WordPiece
// only up to its normalisation (lowercasing, accent stripping, whitespace) and [UNK]s.
import { CharTokenizer, describeChar, type CharTokenizerJSON } from './char';
import { BpeTokenizer, type BpeTokenizerJSON } from './bpe';
import { WordPieceTokenizer, type WordPieceTokenizerJSON } from './wordpiece';
import { Gpt2Tokenizer, type Gpt2TokenizerJSON } from './gpt2_bpe';
import { InputError } from '../util/errors';

export type TokenizerKind = 'char' | 'bpe' | 'wordpiece' | 'gpt2';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Ids are integers in [0, vocabSize). */
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** A readable form of one token, for displays (e.g. 'e', '##ing', ' the'). */
  idToToken(id: number): string;
  /** A plain JSON object; `tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())))` restores t. */
  toJSON(): object;
}

export type TokenizerJSON = CharTokenizerJSON | BpeTokenizerJSON | WordPieceTokenizerJSON | Gpt2TokenizerJSON;

/** Restores a tokenizer saved with `toJSON()`; the `kind` field picks the implementation. */
export function tokenizerFromJSON(obj: unknown): Tokenizer {
  if (typeof obj !== 'object' || obj === null) throw new Error('tokenizerFromJSON: expected an object');
  const kind = (obj as { kind?: unknown }).kind;
  switch (kind) {
    case 'char':
      return CharTokenizer.fromJSON(obj);
    case 'bpe':
      return BpeTokenizer.fromJSON(obj);
    case 'wordpiece':
      return WordPieceTokenizer.fromJSON(obj);
    case 'gpt2':
      return Gpt2Tokenizer.fromJSON(obj);
    default:
      throw new Error(
        `tokenizerFromJSON: unknown kind ${JSON.stringify(kind)} (expected 'char', 'bpe', 'wordpiece' or 'gpt2')`,
      );
  }
}

/** Checks that every id is an integer in [0, vocabSize); names the first bad one. */
export function checkIds(who: string, ids: readonly number[], vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      // undefined: a hole in a sparse array
      throw new RangeError(`${who}.decode: id ${id} at position ${i} is outside [0, ${vocabSize})`);
    }
  }
}

/**
 * Refuses (InputError) a text a char tokenizer cannot encode, naming every character it lacks and
 * where (code-point positions from 0; the first 8 shown). `what` names the text, e.g. "--prompt".
 * Byte-level BPE encodes any string and WordPiece maps unknowns to [UNK], so they always pass.
 */
export function checkEncodable(tok: Tokenizer, text: string, what: string): void {
  if (!(tok instanceof CharTokenizer)) return;
  const missing = tok.unknownChars(text);
  if (!missing.length) return;
  const shown = missing
    .slice(0, 8)
    .map((m) => `${describeChar(m.char)} at ${m.position}`)
    .join(', ');
  const more = missing.length > 8 ? ` and ${missing.length - 8} more` : '';
  throw new InputError(
    `${what} has ${missing.length} character${missing.length > 1 ? 's' : ''} the tokenizer's vocabulary lacks (it was trained on the corpus): ${shown}${more}`,
  );
}
