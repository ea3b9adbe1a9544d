// GPT-2's own byte-level BPE, read from a Hugging Face folder's vocab.json + merges.txt, so a
// pretrained GPT-2 (or DistilGPT-2, or any GPT2Tokenizer vocabulary) sees the ids it was trained
// on. Checked against transformers' GPT2Tokenizer on a battery of strings
// (test/fixtures/gpt2_tokenizer, written by scripts/compare/gpt2_tokenizer_fixture.py).
//
// The pieces, as GPT-2 defines them (Radford et al. 2019; the vocabulary files of the released
// models):
// * Byte → character map. Every byte gets a printable Unicode character so tokens are strings:
//   the bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' map to themselves, the other 68 bytes to U+0100,
//   U+0101, … in byte order (so the space 0x20 is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
// * Pre-tokenizer: the contractions 's 't 're 've 'm 'll 'd (lower case only), then an optional
//   space with letters, an optional space with numbers, an optional space with other
//   non-space characters, whitespace not followed by a non-space, and any other whitespace.
//   Merges never cross a pre-token.
// * Merges: merges.txt line i (after the "#version" line) is "a b", rank i; inside a pre-token
//   the lowest-ranked adjacent pair merges first. The result "ab" must be in vocab.json.
// * Special tokens (`<|endoftext|>` by default, when the vocabulary has it) are cut out of the
//   text before pre-tokenizing and map to their id directly; nothing around them is stripped.
// Decoding joins the tokens' characters, maps them back to bytes and decodes UTF-8 (a cut-off
// character becomes U+FFFD), so decode(encode(s)) === s for any well-formed string.
//
// JSON format (kind 'gpt2'): { "kind": "gpt2", "version": 1, "vocab": {token: id},
//   "merges": ["a b", …], "specials": ["<|endoftext|>"] }
import { InputError } from '../util/errors';
import { checkIds, type Tokenizer } from './tokenizer';
import { applyMerges } from './bpe_merge';

export interface Gpt2TokenizerJSON {
  kind: 'gpt2';
  version: 1;
  vocab: Record<string, number>;
  merges: string[];
  specials: string[];
}

export const GPT2_EOS = '<|endoftext|>';

const PRETOKEN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's byte → character table (see the header): 256 distinct printable characters. */
export function gpt2ByteChars(): string[] {
  const kept = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(kept(b) ? b : 256 + extra++));
  return out;
}

/** Splits text into GPT-2 pre-tokens; the pieces concatenate back to `text`. */
export function gpt2Pretokenize(text: string): string[] {
  return text.match(PRETOKEN) ?? [];
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const PAIR_BASE = 2 ** 21; // ids stay below 2^21 (checked), so a·2^21 + b is an exact pair key

export class Gpt2Tokenizer implements Tokenizer {
  readonly kind = 'gpt2' as const;
  readonly vocabSize: number;
  /** Id of `<|endoftext|>`, or -1 when the vocabulary lacks it. */
  readonly eosId: number;
  private readonly tokens: string[] = [];
  private readonly byteIds = new Int32Array(256);
  private readonly charByte = new Map<string, number>();
  private readonly ranks = new Map<number, number>();
  private readonly mergeIds: number[] = [];
  private readonly specialIds = new Map<string, number>();
  private readonly specialSplit: RegExp | null;
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly vocab: Readonly<Record<string, number>>,
    readonly merges: readonly string[],
    readonly specials: readonly string[] = GPT2_EOS in vocab ? [GPT2_EOS] : [],
  ) {
    const bad = (file: string, why: string): never => {
      throw new InputError(`gpt2 tokenizer: ${file}: ${why}`);
    };
    for (const [tok, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || id < 0 || id >= PAIR_BASE) bad('vocab.json', `"${tok}" has id ${id}`);
      if (this.tokens[id] !== undefined)
        bad('vocab.json', `id ${id} is given to both "${this.tokens[id]}" and "${tok}"`);
      this.tokens[id] = tok;
    }
    this.vocabSize = this.tokens.length;
    for (let id = 0; id < this.vocabSize; id++)
      if (this.tokens[id] === undefined) bad('vocab.json', `no token has id ${id}`);
    gpt2ByteChars().forEach((c, b) => {
      const id =
        vocab[c] ??
        bad(
          'vocab.json',
          `the byte 0x${b.toString(16).padStart(2, '0')} ("${c}") has no token: not a byte-level vocabulary`,
        );
      this.byteIds[b] = id;
      this.charByte.set(c, b);
    });
    merges.forEach((line, i) => {
      const parts = line.split(' ');
      const where = `merge ${i + 1} "${line}"`;
      if (parts.length !== 2 || !parts[0] || !parts[1])
        bad('merges.txt', `${where} is not two tokens separated by one space`);
      const [a, b] = [vocab[parts[0]!], vocab[parts[1]!]];
      const m = vocab[parts[0]! + parts[1]!];
      if (a === undefined || b === undefined || m === undefined)
        bad('merges.txt', `${where}: a token or the merged "${parts[0]! + parts[1]!}" is not in vocab.json`);
      const key = a! * PAIR_BASE + b!;
      if (!this.ranks.has(key)) this.ranks.set(key, i); // a repeated merge keeps its first (lowest) rank
      this.mergeIds.push(m!);
    });
    for (const s of specials) {
      const id = vocab[s];
      if (id === undefined) bad('vocab.json', `the special token "${s}" is not in the vocabulary`);
      this.specialIds.set(s, id!);
    }
    this.eosId = vocab[GPT2_EOS] ?? -1;
    const esc = [...specials].sort((x, y) => y.length - x.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.specialSplit = esc.length ? new RegExp(`(${esc.join('|')})`, 'u') : null;
  }

  /** From the text of a Hugging Face folder's vocab.json and merges.txt. */
  static fromFiles(vocabJson: string, mergesTxt: string, specials?: readonly string[]): Gpt2Tokenizer {
    let vocab: unknown;
    try {
      vocab = JSON.parse(vocabJson);
    } catch (e) {
      throw new InputError(`gpt2 tokenizer: vocab.json is not JSON: ${(e as Error).message}`);
    }
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab))
      throw new InputError('gpt2 tokenizer: vocab.json must be an object mapping token → id');
    const lines = mergesTxt.split(/\r?\n/);
    if (lines[0]?.startsWith('#version')) lines.shift();
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return new Gpt2Tokenizer(vocab as Record<string, number>, lines, specials);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const parts = this.specialSplit ? text.split(this.specialSplit) : [text];
    parts.forEach((part, i) => {
      if (i % 2 === 1)
        out.push(this.specialIds.get(part)!); // split with one capture group: odd parts are specials
      else for (const piece of gpt2Pretokenize(part)) for (const id of this.encodePiece(piece)) out.push(id);
    });
    return out;
  }

  private encodePiece(piece: string): number[] {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      const sym = Array.from(utf8.encode(piece), (b) => this.byteIds[b]!);
      ids = applyMerges(sym, {
        rank: (a, b) => this.ranks.get(a * PAIR_BASE + b),
        result: (r) => this.mergeIds[r]!,
      });
      if (this.cache.size < 1 << 18) this.cache.set(piece, ids);
    }
    return ids;
  }

  /** ids → bytes → UTF-8 (special tokens decode to their text). */
  decode(ids: readonly number[]): string {
    checkIds('Gpt2Tokenizer', ids, this.vocabSize);
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.tokens[id]!;
      if (this.specialIds.get(tok) === id) {
        for (const b of utf8.encode(tok)) bytes.push(b);
        continue;
      }
      for (const c of tok) {
        const b = this.charByte.get(c);
        if (b !== undefined) bytes.push(b);
        else for (const u of utf8.encode(c)) bytes.push(u); // an added token outside the byte alphabet
      }
    }
    return utf8Decoder.decode(Uint8Array.from(bytes));
  }

  /** The token as vocab.json spells it ('Ġthe' for " the"). */
  idToToken(id: number): string {
    checkIds('Gpt2Tokenizer', [id], this.vocabSize);
    return this.tokens[id]!;
  }

  /** vocab.json and merges.txt as a Hugging Face folder holds them. */
  toFiles(): { 'vocab.json': string; 'merges.txt': string } {
    return {
      'vocab.json': JSON.stringify(this.vocab),
      'merges.txt': `#version: 0.2\n${this.merges.join('\n')}\n`,
    };
  }

  toJSON(): Gpt2TokenizerJSON {
    return {
      kind: 'gpt2',
      version: 1,
      vocab: { ...this.vocab },
      merges: [...this.merges],
      specials: [...this.specials],
    };
  }

  static fromJSON(obj: unknown): Gpt2Tokenizer {
    const o = obj as Partial<Gpt2TokenizerJSON>;
    if (o.kind !== 'gpt2' || typeof o.vocab !== 'object' || o.vocab === null || !Array.isArray(o.merges))
      throw new Error('Gpt2Tokenizer.fromJSON: expected { kind: "gpt2", vocab: {token: id}, merges: ["a b", …] }');
    return new Gpt2Tokenizer(o.vocab, o.merges, Array.isArray(o.specials) ? o.specials : undefined);
  }
}
