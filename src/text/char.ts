// Character-level tokenizer: one id per Unicode code point. The vocabulary is the sorted set of
// distinct code points in the training text (sorted by code point, so the same text always gives
// the same ids); a surrogate pair such as an emoji is one character, one id.
//
// Unknown characters (not in the vocabulary) are handled one of two ways, chosen at training:
//   unk: false (default) — encode throws an error naming the character, its code point and its
//                           position. Nothing is silently lost.
//   unk: true            — one extra id, vocabSize − 1, stands for every unknown character;
//                           it decodes to U+FFFD (�), and idToToken gives '[UNK]'.
//
// JSON format (kind 'char'):
//   { "kind": "char", "version": 1,
//     "chars": ["\n", " ", "!", …],   // one code point per entry; id = index
//     "unk": false }                  // true: id chars.length is [UNK]
import { checkIds, type Tokenizer } from './tokenizer';

export interface CharTokenizerJSON {
  kind: 'char';
  version: 1;
  chars: string[];
  unk: boolean;
}

export interface CharTrainOptions {
  /** Add an [UNK] id for characters not seen in training (default false: encode throws). */
  unk?: boolean;
}

/** Describes one character for error messages: 'x' (U+0078). */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  /** Id of [UNK], or -1 when unknown characters are an error. */
  readonly unkId: number;
  private readonly ids = new Map<string, number>();

  /** `chars`: distinct code points, id = index. Prefer `CharTokenizer.train`. */
  constructor(
    readonly chars: readonly string[],
    unk = false,
  ) {
    chars.forEach((c, i) => {
      if ([...c].length !== 1)
        throw new Error(`CharTokenizer: vocabulary entry ${i} ${JSON.stringify(c)} is not one code point`);
      if (this.ids.has(c)) throw new Error(`CharTokenizer: vocabulary entry ${i} ${describeChar(c)} is a duplicate`);
      this.ids.set(c, i);
    });
    this.unkId = unk ? chars.length : -1;
    this.vocabSize = chars.length + (unk ? 1 : 0);
  }

  /** Vocabulary = sorted distinct code points of `text`. */
  static train(text: string, opts: CharTrainOptions = {}): CharTokenizer {
    const set = new Set<number>();
    for (const ch of text) set.add(ch.codePointAt(0)!);
    const chars = [...set].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp));
    return new CharTokenizer(chars, opts.unk ?? false);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let pos = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id !== undefined) out.push(id);
      else if (this.unkId >= 0) out.push(this.unkId);
      else
        throw new Error(
          `CharTokenizer.encode: character ${describeChar(ch)} at position ${pos} is not in the vocabulary (train with { unk: true } to map it to [UNK])`,
        );
      pos += ch.length;
    }
    return out;
  }

  /** Characters of `text` not in the vocabulary, with their positions (in code points, from 0). */
  unknownChars(text: string): { char: string; position: number }[] {
    if (this.unkId >= 0) return [];
    const out: { char: string; position: number }[] = [];
    let pos = 0;
    for (const ch of text) {
      if (!this.ids.has(ch)) out.push({ char: ch, position: pos });
      pos++;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    checkIds('CharTokenizer', ids, this.vocabSize);
    let s = '';
    for (const id of ids) s += id === this.unkId ? '\uFFFD' : this.chars[id];
    return s;
  }

  idToToken(id: number): string {
    checkIds('CharTokenizer', [id], this.vocabSize); // so id < chars.length unless it is [UNK]
    return id === this.unkId ? '[UNK]' : this.chars[id]!;
  }

  toJSON(): CharTokenizerJSON {
    return { kind: 'char', version: 1, chars: [...this.chars], unk: this.unkId >= 0 };
  }

  static fromJSON(obj: unknown): CharTokenizer {
    const o = obj as Partial<CharTokenizerJSON>;
    if (o.kind !== 'char' || !Array.isArray(o.chars))
      throw new Error('CharTokenizer.fromJSON: expected { kind: "char", chars: string[] }');
    return new CharTokenizer(o.chars, o.unk === true);
  }
}
