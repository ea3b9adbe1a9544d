// GPT-2's byte-level BPE (src/text/gpt2_bpe.ts) against transformers' GPT2Tokenizer: the ids
// and decoded strings of test/fixtures/gpt2_tokenizer/cases.json were written by
// scripts/compare/gpt2_tokenizer_fixture.py (transformers 5.17, tokenizers 0.23) from the
// committed vocab.json + merges.txt, a tiny byte-level vocabulary trained by `tokenizers`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Gpt2Tokenizer, gpt2ByteChars, gpt2Pretokenize } from '../../src/text/gpt2_bpe';
import { tokenizerFromJSON } from '../../src/text/tokenizer';
import { InputError } from '../../src/util/errors';

const DIR = new URL('../fixtures/gpt2_tokenizer/', import.meta.url);
const vocabJson = readFileSync(new URL('vocab.json', DIR), 'utf8');
const mergesTxt = readFileSync(new URL('merges.txt', DIR), 'utf8');
const fixture = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as {
  meta: { vocab_size: number; eos_token_id: number };
  cases: { text: string; ids: number[]; decoded: string }[];
};
const tok = Gpt2Tokenizer.fromFiles(vocabJson, mergesTxt);

test('gpt2 tokenizer: the byte map is GPT-2 table (256 distinct printable characters)', () => {
  const m = gpt2ByteChars();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[0x20], '\u0120'); // space → Ġ
  assert.equal(m[0x0a], '\u010a'); // newline → Ċ
  assert.equal(m[0x41], 'A');
  assert.equal(m[0xad], '\u0143'); // soft hyphen, the last of the 68 remapped bytes after 0x7f..0xa0
  assert.equal(m[0xff], '\u00ff');
});

test('gpt2 tokenizer: the pre-tokenizer splits contractions, letters, numbers and whitespace as GPT-2 does', () => {
  assert.deepEqual(gpt2Pretokenize("I'm  here, it's 42!"), ['I', "'m", ' ', ' here', ',', ' it', "'s", ' 42', '!']);
  assert.deepEqual(gpt2Pretokenize("IT'S"), ['IT', "'", 'S']);
  for (const c of fixture.cases) assert.equal(gpt2Pretokenize(c.text).join(''), c.text);
});

test('gpt2 tokenizer: ids match transformers GPT2Tokenizer on every fixture string', () => {
  assert.equal(tok.vocabSize, fixture.meta.vocab_size);
  assert.equal(tok.eosId, fixture.meta.eos_token_id);
  assert.ok(fixture.cases.length >= 20);
  for (const c of fixture.cases) {
    assert.deepEqual(tok.encode(c.text), c.ids, `encode ${JSON.stringify(c.text)}`);
    assert.equal(tok.decode(c.ids), c.decoded, `decode ${JSON.stringify(c.text)}`);
  }
});

test('gpt2 tokenizer: merges apply (a known string is fewer tokens than bytes) and round-trips any text', () => {
  const s = 'The cat is playing in the garden';
  assert.ok(tok.encode(s).length < s.length / 3);
  for (const t of ['', 'ünïcödé 😀 日本語', 'x'.repeat(2000), 'a\u0301 combining', '<|endoftext|><|endoftext|>'])
    assert.equal(tok.decode(tok.encode(t)), t);
  assert.deepEqual(tok.encode('<|endoftext|>'), [tok.eosId]);
  assert.equal(tok.idToToken(tok.encode(' the')[0]!), '\u0120the');
});

test('gpt2 tokenizer: toJSON / tokenizerFromJSON and toFiles restore the same tokenizer', () => {
  const a = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  const files = tok.toFiles();
  const b = Gpt2Tokenizer.fromFiles(files['vocab.json'], files['merges.txt']);
  for (const c of fixture.cases) {
    assert.deepEqual(a.encode(c.text), c.ids);
    assert.deepEqual(b.encode(c.text), c.ids);
  }
});

test('gpt2 tokenizer: malformed files are refused with the file and the line', () => {
  assert.throws(
    () => Gpt2Tokenizer.fromFiles('{not json', mergesTxt),
    (e: Error) => {
      assert.ok(e instanceof InputError);
      return /vocab\.json is not JSON/.test(e.message);
    },
  );
  const noSpace = JSON.parse(vocabJson) as Record<string, number>;
  noSpace['<renamed>'] = noSpace['\u0120']!; // same id, so only the byte's token is missing
  delete noSpace['\u0120'];
  assert.throws(() => new Gpt2Tokenizer(noSpace, []), /byte 0x20 \("Ġ"\) has no token/);
  assert.throws(() => Gpt2Tokenizer.fromFiles(vocabJson, '#version: 0.2\nh e\nnot-a-pair'), /merge 2 "not-a-pair"/);
  assert.throws(() => Gpt2Tokenizer.fromFiles(vocabJson, '#version: 0.2\nq z'), /merged "qz" is not in vocab\.json/);
  assert.throws(() => tok.decode([tok.vocabSize]), /outside \[0, 514\)/);
});
