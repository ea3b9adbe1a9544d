// Tokenizers: round trips, unknowns, JSON and vocab.txt save/load, BPE determinism and speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer } from '../../src/text/char';
import { BpeTokenizer, bpePretokenize } from '../../src/text/bpe';
import { WordPieceTokenizer } from '../../src/text/wordpiece';
import { tokenizerFromJSON, type Tokenizer } from '../../src/text/tokenizer';
import { generateStories } from '../../src/text/stories';

const HARD = [
  '',
  ' ',
  'a',
  '\n\n  leading and trailing  \n',
  'Hello, world! 1234.5 ...',
  'emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷',
  'combining e\u0301 a\u0300\u0323 precomposed é',
  'CJK 中文字符测试 日本語のテキスト 한국어',
  'tabs\tand\r\nCRLF',
  'Ünïcödé ÆØÅ ß İ ﬁ',
  'مرحبا بالعالم',
  '\u200B zero width \uFEFF',
];

const roundTrip = (t: Tokenizer, s: string): string => t.decode(t.encode(s));
const viaJson = (t: Tokenizer): Tokenizer => tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));

test('char tokenizer: sorted code points, emoji as one token, exact round trip, JSON', () => {
  const text = HARD.join(' ');
  const t = CharTokenizer.train(text);
  const cps = [...new Set([...text].map((c) => c.codePointAt(0)!))].sort((a, b) => a - b);
  assert.equal(t.vocabSize, cps.length);
  assert.deepEqual(
    t.chars.map((c) => c.codePointAt(0)),
    cps,
  );
  assert.equal(t.encode('😀').length, 1);
  for (const s of HARD) assert.equal(roundTrip(t, s), s);
  const u = viaJson(t);
  assert.equal(u.kind, 'char');
  for (const s of HARD) assert.deepEqual(u.encode(s), t.encode(s));
});

test('char tokenizer: unknown characters throw by name, or map to [UNK]', () => {
  const t = CharTokenizer.train('abc');
  assert.throws(() => t.encode('abz'), /"z" \(U\+007A\) at position 2/);
  const u = CharTokenizer.train('abc', { unk: true });
  assert.equal(u.vocabSize, 4);
  assert.deepEqual(u.encode('az😀'), [0, 3, 3]);
  assert.equal(u.decode(u.encode('az')), 'a\uFFFD');
  assert.equal(u.idToToken(3), '[UNK]');
  assert.throws(() => u.decode([4]), /id 4 at position 0 is outside \[0, 4\)/);
  assert.equal(viaJson(u).vocabSize, 4);
});

test('BPE pre-tokenizer covers the text', () => {
  for (const s of HARD) assert.equal(bpePretokenize(s).join(''), s);
  assert.deepEqual(bpePretokenize('Hi there,  you!\n'), ['Hi', ' there', ',', ' ', ' you', '!', '\n']);
});

const corpus = generateStories({ seed: 3, targetChars: 60_000 }).text;

test('BPE: exact round trip on any UTF-8 text, unseen text, JSON', () => {
  const t = BpeTokenizer.train(corpus, { vocabSize: 600 });
  assert.equal(t.vocabSize, 600);
  const unseen = 'Zebras quietly xylophone: ∑ ≠ ∞ — «quoted» ' + HARD.join('|');
  for (const s of [...HARD, unseen, corpus.slice(0, 5000)]) assert.equal(roundTrip(t, s), s, JSON.stringify(s));
  const ids = t.encode(corpus.slice(0, 10_000));
  assert.ok(ids.length < 10_000 / 2.5, `compression ${10_000 / ids.length}`);
  assert.ok(ids.every((id) => id >= 0 && id < t.vocabSize));
  const u = viaJson(t);
  for (const s of [unseen, corpus.slice(0, 3000)]) assert.deepEqual(u.encode(s), t.encode(s));
  assert.equal(t.idToToken(t.encode(' the')[0]!), ' the');
  assert.match(t.idToToken(0xe2), /^<0xE2>$/);
});

test('BPE training is deterministic and stops when pairs run out', () => {
  const a = BpeTokenizer.train(corpus, { vocabSize: 500 }).toJSON();
  const b = BpeTokenizer.train(corpus, { vocabSize: 500 }).toJSON();
  assert.deepEqual(a, b);
  const small = BpeTokenizer.train('abab abab', { vocabSize: 1000 });
  assert.ok(small.vocabSize < 1000);
  assert.deepEqual(
    small.encode('abab abab').map((i) => small.idToToken(i)),
    ['abab', ' ', 'abab'],
  ); // ' abab' occurs once: not merged
  assert.throws(() => BpeTokenizer.train('x', { vocabSize: 10 }), /vocabSize 10/);
  assert.throws(() => BpeTokenizer.fromJSON({ kind: 'bpe', merges: [[5, 300]] }), /merge 0 \[5, 300\]/);
});

/** ~n characters of seeded pseudo-English: a Zipf-distributed vocabulary of 30 000 random words,
 *  with punctuation, capitals and line breaks (a stand-in for a real 1 MB corpus). */
function zipfText(n: number, seed: number): string {
  let x = seed >>> 0;
  const rand = (): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const letters = 'etaoinshrdlucmfwypvbgkjqxz',
    weights = letters.split('').map((_, i) => 1 / (i + 1.5));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const letter = (): string => {
    let r = rand() * wsum,
      i = 0;
    while (r > weights[i]!) r -= weights[i++]!;
    return letters[i]!;
  };
  const vocab = Array.from({ length: 30_000 }, () =>
    Array.from({ length: 2 + Math.floor(rand() * 8) }, letter).join(''),
  );
  const cdf: number[] = [];
  let acc = 0;
  for (let r = 0; r < vocab.length; r++) cdf.push((acc += 1 / (r + 1)));
  const pick = (): string => {
    const u = rand() * acc;
    let lo = 0,
      hi = cdf.length - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cdf[m]! < u) lo = m + 1;
      else hi = m;
    }
    return vocab[lo]!;
  };
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const sentence = Array.from({ length: 4 + Math.floor(rand() * 12) }, pick);
    const first = sentence[0]!; // 4 or more words
    sentence[0] = first[0]!.toUpperCase() + first.slice(1);
    const t = sentence.join(' ') + (rand() < 0.8 ? '. ' : rand() < 0.5 ? '!\n' : ', ');
    parts.push(t);
    len += t.length;
  }
  return parts.join('');
}

test('BPE speed: 16k merges on 1 MB train and encode in seconds', () => {
  const text = zipfText(1_000_000, 7);
  let t0 = performance.now();
  const t = BpeTokenizer.train(text, { vocabSize: 256 + 16384, minFrequency: 1 });
  const trainS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ids = t.encode(text);
  const encodeS = (performance.now() - t0) / 1000;
  assert.equal(t.vocabSize, 256 + 16384);
  assert.equal(t.decode(ids), text);
  assert.ok(trainS < 20, `train ${trainS.toFixed(2)} s`);
  assert.ok(encodeS < 20, `encode ${encodeS.toFixed(2)} s`);
  console.log(
    `# BPE on ${text.length} chars: 16384 merges trained in ${trainS.toFixed(2)} s, encoded in ${encodeS.toFixed(2)} s (${ids.length} tokens)`,
  );
});

const WP_TEXT = `${corpus}\nThe bank of the river. The bank gave a loan! Don't stop: café, naïve, über.\n`;

test('WordPiece: specials, greedy longest match with ##, [UNK] for unknown and long words', () => {
  const t = WordPieceTokenizer.train(WP_TEXT, { vocabSize: 400 });
  assert.equal(t.vocabSize, 400);
  assert.deepEqual([t.padId, t.unkId, t.clsId, t.sepId, t.maskId], [0, 1, 2, 3, 4]);
  assert.deepEqual(t.vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  // A word made only of known characters always splits (never [UNK]) and decodes back.
  const ids = t.encode('Lily found the kite');
  assert.ok(!ids.includes(t.unkId));
  assert.equal(t.decode(ids), 'lily found the kite');
  // continuation pieces
  const pieces = t.encode('unfoundable').map((i) => t.idToToken(i));
  assert.ok(pieces.length > 1 && pieces.slice(1).every((p) => p.startsWith('##')), pieces.join(' '));
  // unknown characters → the whole word is [UNK]; a word past maxCharsPerWord → [UNK]
  // as BertTokenizer: a CJK ideograph is a word of its own, a symbol (€) is not punctuation, so
  // "kite€" stays one word, and with no "##€" piece the whole word is [UNK]
  assert.deepEqual(t.encode('the 中 kite€'), [...t.encode('the'), t.unkId, t.unkId]);
  assert.deepEqual(t.encode('kite, $'), [...t.encode('kite'), ...t.encode(','), ...t.encode('$')]);
  assert.deepEqual(t.encode('a'.repeat(101)), [t.unkId]);
  // punctuation split off; accents stripped and lowercased
  assert.deepEqual(
    t
      .encode("Don't!")
      .map((i) => t.idToToken(i))
      .filter((x) => x === "'" || x === '!'),
    ["'", '!'],
  );
  assert.deepEqual(t.encode('CAFÉ NAÏVE'), t.encode('cafe naive'));
  // specials written literally
  assert.deepEqual(t.encode('the [MASK] kite'), [...t.encode('the'), t.maskId, ...t.encode('kite')]);
});

test('WordPiece: CJK characters are separate words; case and accents kept when asked', () => {
  const t = WordPieceTokenizer.train('中文字 中文 Café café', { vocabSize: 100, minFrequency: 1, lowercase: false });
  assert.equal(t.stripAccents, false);
  assert.deepEqual(
    t.encode('中文').map((i) => t.idToToken(i)),
    ['中', '文'],
  );
  assert.notDeepEqual(t.encode('Café'), t.encode('café'));
  assert.equal(t.decode(t.encode('Café café')), 'Café café');
});

test('WordPiece: encodePair layout, truncation and padding', () => {
  const t = WordPieceTokenizer.train(WP_TEXT, { vocabSize: 400 });
  const a = t.encode('lily went to the park'),
    b = t.encode('she had a kite');
  const p = t.encodePair('lily went to the park', 'she had a kite', 32);
  assert.deepEqual(p.ids.slice(0, p.length), [t.clsId, ...a, t.sepId, ...b, t.sepId]);
  assert.deepEqual(p.segments.slice(0, p.length), [...Array(a.length + 2).fill(0), ...Array(b.length + 1).fill(1)]);
  assert.equal(p.ids.length, 32);
  assert.ok(p.ids.slice(p.length).every((id) => id === t.padId));
  assert.deepEqual(p.mask, [...Array(p.length).fill(1), ...Array(32 - p.length).fill(0)]);
  const q = t.encodePair('lily went to the park', 'she had a kite', 7, { pad: false });
  assert.equal(q.ids.length, 7);
  assert.equal(q.ids.filter((id) => id === t.sepId).length, 2);
  assert.equal(q.truncated[0] + q.truncated[1], a.length + b.length - 4);
  const single = t.encodePair('the kite', null, 8);
  assert.deepEqual(single.ids.slice(0, single.length), [t.clsId, ...t.encode('the kite'), t.sepId]);
  assert.throws(() => t.encodePair('a', 'b', 2), /maxLen 2/);
});

test('WordPiece: JSON and vocab.txt round trips; training is deterministic', () => {
  const t = WordPieceTokenizer.train(WP_TEXT, { vocabSize: 300 });
  assert.deepEqual(WordPieceTokenizer.train(WP_TEXT, { vocabSize: 300 }).vocab, t.vocab);
  const txt = t.toVocabTxt();
  assert.equal(txt.split('\n').length, t.vocabSize + 1);
  const u = WordPieceTokenizer.fromVocabTxt(txt);
  assert.deepEqual(u.vocab, t.vocab);
  const v = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
  const s = 'Lily found the kite under a bush, and Tom was happy.';
  assert.deepEqual(u.encode(s), t.encode(s));
  assert.deepEqual(v.encode(s), t.encode(s));
  // a BERT-style file with the specials elsewhere
  const w = WordPieceTokenizer.fromVocabTxt('[PAD]\nthe\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nkite\n##s\n');
  assert.deepEqual(w.encode('the kites'), [1, 6, 7]);
  assert.equal(w.unkId, 2);
  assert.throws(() => WordPieceTokenizer.fromVocabTxt('[PAD]\n[UNK]\n'), /no \[CLS\]/);
  assert.throws(() => WordPieceTokenizer.fromVocabTxt('[PAD]\n\n[UNK]\n'), /line 2 is empty/);
  const lik = WordPieceTokenizer.train(WP_TEXT, { vocabSize: 300, score: 'likelihood' });
  assert.equal(lik.vocabSize, 300);
  assert.equal(lik.decode(lik.encode('lily found the kite')), 'lily found the kite');
});

test('tokenizerFromJSON rejects unknown kinds', () => {
  assert.throws(() => tokenizerFromJSON({ kind: 'sentencepiece' }), /unknown kind "sentencepiece"/);
  assert.throws(() => tokenizerFromJSON(null), /expected an object/);
});
