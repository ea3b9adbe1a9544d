// WordPiece tokenizer for BERT: whole words and `##` continuation pieces, greedy longest match
// first, trained on the user's corpus (training: wordpiece_train.ts).
//
// Special tokens, always in the vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK]. A trained vocabulary
// puts them at ids 0–4 ([PAD] = 0); a loaded vocab.txt may put them anywhere (real BERT vocabularies
// have [UNK] = 100): they are found by name. Written literally in the input ("the [MASK] is red"),
// they encode to their ids.
//
// Pipeline, identical for training and encoding:
//   1. clean: drop control characters and U+FFFD, turn every whitespace character into a space;
//   2. if `lowercase`: lowercase; if `stripAccents`: NFD, then drop combining marks (\p{Mn});
//   3. split on whitespace; then every punctuation character (BERT's: ASCII symbols and \p{P}) and every
//      Han ideograph (\p{Script=Han}, as BERT treats CJK) becomes a word of its own;
//   4. each word (counted in code points) longer than `maxCharsPerWord` (default 100) → [UNK];
//      otherwise greedy longest-match-first: the longest vocabulary entry that prefixes the rest
//      of the word (written with `##` after the first piece); if no entry matches at some point,
//      the whole word → [UNK].
// decode joins pieces (`##x` glued to the previous piece, others after a space), removes the space
// before . , ! ? ; : and by default skips [PAD]. It returns the normalised text, not the original.
//
// JSON format (kind 'wordpiece'):
//   { "kind": "wordpiece", "version": 1,
//     "vocab": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", …, "##s", …],  // id = index
//     "lowercase": true, "stripAccents": true, "maxCharsPerWord": 100 }
// vocab.txt (as BERT ships it): one token per line, id = line number (0-based), with the three
// options passed to `fromVocabTxt`.
import { checkIds, type Tokenizer } from './tokenizer';
import { trainWordPieceVocab, type WordPieceTrainOptions } from './wordpiece_train';

export const WORDPIECE_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

export interface WordPieceTokenizerJSON {
  kind: 'wordpiece';
  version: 1;
  vocab: string[];
  lowercase: boolean;
  stripAccents: boolean;
  maxCharsPerWord: number;
}

export interface WordPieceOptions {
  /** Lowercase before splitting (default true). */
  lowercase?: boolean;
  /** NFD + drop combining marks (default: same as lowercase, as BERT's uncased models). */
  stripAccents?: boolean;
  /** Longer words become [UNK] (default 100). */
  maxCharsPerWord?: number;
}

export interface EncodedPair {
  /** [CLS] a [SEP] (b [SEP]), padded with [PAD] to maxLen when `pad` (the default). */
  ids: number[];
  /** Segment (token type) ids: 0 for [CLS] a [SEP], 1 for b [SEP]; 0 on padding. */
  segments: number[];
  /** 1 on real tokens, 0 on padding. */
  mask: number[];
  /** Number of real tokens (before padding). */
  length: number;
  /** How many tokens of a and of b were cut to fit maxLen. */
  truncated: [number, number];
}

const CONTROL = /[\p{Cc}\p{Cf}\uFFFD]/gu;
const WHITESPACE = /\s/gu;
const COMBINING = /\p{Mn}/gu;
// BertTokenizer's _is_punctuation: every ASCII non-alphanumeric printable (so $, +, <, ^, `, |, ~
// too) and Unicode punctuation (P*); other symbols (€, ©, emoji) stay inside their word
const SPLIT_CHAR = /[!-/:-@[-`{-~\p{P}\p{Script=Han}]/u;

/** Steps 1–2: clean and normalise one string. */
export function wordpieceNormalize(text: string, lowercase: boolean, stripAccents: boolean): string {
  let s = text.replace(WHITESPACE, ' ').replace(CONTROL, '');
  if (lowercase) s = s.toLowerCase();
  if (stripAccents) s = s.normalize('NFD').replace(COMBINING, '');
  return s;
}

/** Step 3 on a normalised string: the words. */
export function wordpieceSplit(normalized: string): string[] {
  const words: string[] = [];
  for (const chunk of normalized.split(' ')) {
    let cur = '';
    for (const ch of chunk) {
      if (SPLIT_CHAR.test(ch)) {
        if (cur) words.push(cur);
        words.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) words.push(cur);
  }
  return words;
}

const SPECIAL_RE = /(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])/;

/** The full pre-tokenizer: text → words, with special tokens written literally kept whole. */
export function wordpiecePretokenize(text: string, lowercase: boolean, stripAccents: boolean): string[] {
  const out: string[] = [];
  text.split(SPECIAL_RE).forEach((part, i) => {
    if (i % 2 === 1) out.push(part);
    else for (const w of wordpieceSplit(wordpieceNormalize(part, lowercase, stripAccents))) out.push(w);
  });
  return out;
}

export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocabSize: number;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly maxCharsPerWord: number;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  private readonly ids = new Map<string, number>();
  private readonly specialIds: Set<number>;
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly vocab: readonly string[],
    opts: WordPieceOptions = {},
  ) {
    vocab.forEach((t, i) => {
      if (t === '' || /\s/u.test(t))
        throw new Error(
          `WordPieceTokenizer: vocabulary entry ${i} ${JSON.stringify(t)} is empty or contains whitespace`,
        );
      if (this.ids.has(t))
        throw new Error(
          `WordPieceTokenizer: vocabulary entry ${i} ${JSON.stringify(t)} duplicates entry ${this.ids.get(t)}`,
        );
      this.ids.set(t, i);
    });
    const need = (name: string): number => {
      const id = this.ids.get(name);
      if (id === undefined)
        throw new Error(
          `WordPieceTokenizer: the vocabulary has no ${name} token (needs ${WORDPIECE_SPECIALS.join(' ')})`,
        );
      return id;
    };
    const [pad, unk, cls, sep, mask] = WORDPIECE_SPECIALS;
    this.padId = need(pad);
    this.unkId = need(unk);
    this.clsId = need(cls);
    this.sepId = need(sep);
    this.maskId = need(mask);
    this.specialIds = new Set([this.padId, this.unkId, this.clsId, this.sepId, this.maskId]);
    this.lowercase = opts.lowercase ?? true;
    this.stripAccents = opts.stripAccents ?? this.lowercase;
    this.maxCharsPerWord = opts.maxCharsPerWord ?? 100;
    this.vocabSize = vocab.length;
  }

  /** Learns a vocabulary of at most `vocabSize` entries on `text` (see wordpiece_train.ts). */
  static train(text: string, opts: WordPieceTrainOptions & WordPieceOptions): WordPieceTokenizer {
    const lowercase = opts.lowercase ?? true;
    const stripAccents = opts.stripAccents ?? lowercase;
    const words = wordpiecePretokenize(text, lowercase, stripAccents);
    return new WordPieceTokenizer(trainWordPieceVocab(words, opts, opts.maxCharsPerWord ?? 100), opts);
  }

  /** The ids of one pre-tokenized word. */
  encodeWord(word: string): number[] {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.encodeWordUncached(word);
      if (this.cache.size < 1 << 17) this.cache.set(word, ids);
    }
    return ids;
  }

  private encodeWordUncached(word: string): number[] {
    const special = this.ids.get(word);
    if (special !== undefined && this.specialIds.has(special)) return [special];
    const cps = [...word];
    if (cps.length > this.maxCharsPerWord) return [this.unkId];
    const out: number[] = [];
    for (let start = 0; start < cps.length;) {
      let found = -1,
        end = cps.length;
      for (; end > start; end--) {
        const piece = (start > 0 ? '##' : '') + cps.slice(start, end).join('');
        const id = this.ids.get(piece);
        if (id !== undefined && !this.specialIds.has(id)) {
          found = id;
          break;
        }
      }
      if (found < 0) return [this.unkId];
      out.push(found);
      start = end;
    }
    return out;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of wordpiecePretokenize(text, this.lowercase, this.stripAccents))
      for (const id of this.encodeWord(w)) out.push(id);
    return out;
  }

  /** [CLS] a [SEP] (b [SEP]) in at most maxLen tokens: the longer side loses its last token until it
   *  fits (longest-first truncation). `b` null: a single sequence. Padded to maxLen unless pad: false. */
  encodePair(a: string, b: string | null, maxLen: number, opts: { pad?: boolean } = {}): EncodedPair {
    const special = b === null ? 2 : 3;
    if (!Number.isInteger(maxLen) || maxLen < special)
      throw new RangeError(`WordPieceTokenizer.encodePair: maxLen ${maxLen} must be an integer ≥ ${special}`);
    const ta = this.encode(a),
      tb = b === null ? [] : this.encode(b);
    const na = ta.length,
      nb = tb.length;
    while (ta.length + tb.length + special > maxLen) (ta.length >= tb.length ? ta : tb).pop();
    const ids = [this.clsId, ...ta, this.sepId];
    const segments = ids.map(() => 0);
    if (b !== null)
      for (const id of [...tb, this.sepId]) {
        ids.push(id);
        segments.push(1);
      }
    const length = ids.length;
    const mask = ids.map(() => 1);
    if (opts.pad ?? true)
      while (ids.length < maxLen) {
        ids.push(this.padId);
        segments.push(0);
        mask.push(0);
      }
    return { ids, segments, mask, length, truncated: [na - ta.length, nb - tb.length] };
  }

  decode(ids: readonly number[], opts: { skipPad?: boolean; skipSpecial?: boolean } = {}): string {
    checkIds('WordPieceTokenizer', ids, this.vocabSize); // so every vocab[id] below exists
    let s = '';
    for (const id of ids) {
      if ((opts.skipPad ?? true) && id === this.padId) continue;
      if (opts.skipSpecial && this.specialIds.has(id)) continue;
      const t = this.vocab[id]!;
      if (t.startsWith('##') && s !== '') s += t.slice(2);
      else if (s === '' || /^[.,!?;:]$/.test(t)) s += t;
      else s += ' ' + t;
    }
    return s;
  }

  idToToken(id: number): string {
    checkIds('WordPieceTokenizer', [id], this.vocabSize);
    return this.vocab[id]!;
  }

  /** Id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  toJSON(): WordPieceTokenizerJSON {
    return {
      kind: 'wordpiece',
      version: 1,
      vocab: [...this.vocab],
      lowercase: this.lowercase,
      stripAccents: this.stripAccents,
      maxCharsPerWord: this.maxCharsPerWord,
    };
  }

  static fromJSON(obj: unknown): WordPieceTokenizer {
    const o = obj as Partial<WordPieceTokenizerJSON>;
    if (o.kind !== 'wordpiece' || !Array.isArray(o.vocab))
      throw new Error('WordPieceTokenizer.fromJSON: expected { kind: "wordpiece", vocab: string[] }');
    return new WordPieceTokenizer(o.vocab, {
      lowercase: o.lowercase,
      stripAccents: o.stripAccents,
      maxCharsPerWord: o.maxCharsPerWord,
    });
  }

  /** BERT's vocab.txt: one token per line, id = line number, ending with a newline. */
  toVocabTxt(): string {
    return this.vocab.join('\n') + '\n';
  }

  static fromVocabTxt(text: string, opts: WordPieceOptions = {}): WordPieceTokenizer {
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((t, i) => {
      if (t === '') throw new Error(`WordPieceTokenizer.fromVocabTxt: line ${i + 1} is empty`);
    });
    return new WordPieceTokenizer(lines, opts);
  }
}
