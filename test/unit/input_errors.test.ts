// Bad input refused by the pure checks the CLIs and the pages share (issue 11): strict UTF-8 with
// the offset, model configs (heads, head size, dropout), a text too short for --block, a model
// too large for the adapter's limits, characters a char tokenizer lacks, label and questions
// files with bad lines, too few BERT documents. Every refusal is an InputError (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, LimitError } from '../../src/util/errors';
import { decodeUtf8Text, firstInvalidUtf8 } from '../../src/util/utf8';
import { checkFits, tensorBytes } from '../../src/gpu/limits';
import { checkGptConfig, gptTensorSizes, type GptConfig } from '../../src/models/gpt/graph';
import { checkLmSplit, splitSizes, splitTokens } from '../../src/models/gpt/data';
import { bertConfig, bertTensorSizes, checkBertConfig } from '../../src/models/bert/graph';
import { bertDocuments } from '../../src/models/bert/corpus';
import { CharTokenizer } from '../../src/text/char';
import { BpeTokenizer } from '../../src/text/bpe';
import { checkEncodable } from '../../src/text/tokenizer';
import { parseLabelledTsv } from '../../src/text/sentiment';
import { parseQuestions } from '../../src/eval/similarity';
import { SafetensorsError } from '../../src/io/safetensors';
import { CorpusError, blobSource } from '../../src/text/words';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Asserts `fn` throws an InputError whose one-line message matches `re`. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

test('UTF-8: the offset of the first ill-formed sequence, or -1', () => {
  assert.equal(firstInvalidUtf8(enc('plain ascii, café, 日本, 😀')), -1);
  assert.equal(firstInvalidUtf8(Uint8Array.of(0x61, 0x62, 0xe9, 0x20)), 2); // Latin-1 é
  assert.equal(firstInvalidUtf8(Uint8Array.of(0x61, 0xc0, 0xaf)), 1); // overlong '/'
  assert.equal(firstInvalidUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), 0); // a surrogate
  assert.equal(firstInvalidUtf8(Uint8Array.of(0xf4, 0x90, 0x80, 0x80)), 0); // past U+10FFFF
  assert.equal(firstInvalidUtf8(Uint8Array.of(0x61, 0x62, 0xe6, 0x97)), 2); // cut off at the end
  assert.equal(firstInvalidUtf8(Uint8Array.of(0x80)), 0); // a lone continuation byte
  // agrees with the platform's strict decoder on random bytes
  let seed = 7;
  for (let k = 0; k < 200; k++) {
    const b = Uint8Array.from({ length: 12 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      valid = false;
    }
    assert.equal(firstInvalidUtf8(b) < 0, valid, `bytes ${Array.from(b).join(',')}`);
  }
});

test('a text file: empty, whitespace, binary (NUL) and non-UTF-8 are refused with the offset', () => {
  assert.equal(decodeUtf8Text('f', enc('\ufeffhello')), 'hello', 'a byte-order mark is dropped');
  refuses(() => decodeUtf8Text('--corpus a.txt', new Uint8Array(0)), /^--corpus a\.txt: the file is empty$/);
  refuses(() => decodeUtf8Text('--corpus a.txt', enc(' \n\t\n')), /only whitespace/);
  refuses(
    () => decodeUtf8Text('--corpus a.bin', Uint8Array.of(0x41, 0x42, 0, 0x43)),
    /a binary file, not text \(a NUL byte at offset 2\)/,
  );
  refuses(
    () => decodeUtf8Text('--corpus l1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x0a)),
    /not UTF-8 text: byte 0xe9 at offset 3/,
  );
});

const GPT: GptConfig = { vocabSize: 65, block: 64, layers: 2, heads: 2, embd: 64, dropout: 0, bias: true };

test('GPT config rules: positive sizes, embd divisible by heads, head size a multiple of 4 and ≤ 128, dropout in [0, 1)', () => {
  checkGptConfig(GPT);
  refuses(() => checkGptConfig({ ...GPT, layers: 0 }), /gpt: layers must be a positive integer, got 0/);
  refuses(() => checkGptConfig({ ...GPT, block: 2.5 }), /block must be a positive integer/);
  refuses(() => checkGptConfig({ ...GPT, embd: 66, heads: 4 }), /embd 66 is not divisible by heads 4/);
  refuses(
    () => checkGptConfig({ ...GPT, embd: 24, heads: 4 }),
    /head size embd\/heads = 24\/4 = 6 must be a multiple of 4/,
  );
  refuses(() => checkGptConfig({ ...GPT, embd: 512, heads: 2 }), /= 256 is past the attention kernels' limit of 128/);
  refuses(() => checkGptConfig({ ...GPT, dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
});

test('BERT config rules: the same, for hidden and heads', () => {
  checkBertConfig(bertConfig({ vocabSize: 100 }));
  refuses(
    () => checkBertConfig(bertConfig({ vocabSize: 100, hidden: 66, heads: 4 })),
    /bert: hidden size 66 is not divisible by heads 4/,
  );
  refuses(
    () => checkBertConfig(bertConfig({ vocabSize: 100, hidden: 24, heads: 4 })),
    /head size hidden\/heads = 24\/4 = 6 must be a multiple of 4/,
  );
  refuses(() => checkBertConfig(bertConfig({ vocabSize: 100, layers: 0 })), /layers must be a positive integer, got 0/);
  refuses(() => checkBertConfig(bertConfig({ vocabSize: 100, dropout: -0.1 })), /dropout must be in \[0, 1\)/);
});

test('a text too short for --block: the validation split must hold block + 2 tokens; the message gives the least length', () => {
  checkLmSplit(660, 64);
  refuses(
    () => checkLmSplit(12, 64, 'characters'),
    /the text is 12 characters; its validation split \(the last 10%\) has 2, fewer than the 66 that windows of --block 64 need: give a text of at least (\d+) characters/,
  );
  const least = Number(
    /at least (\d+)/.exec(
      (() => {
        try {
          checkLmSplit(12, 64);
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })(),
    )![1],
  );
  assert.ok(splitSizes(least).val >= 66 && splitSizes(least - 1).val < 66, `least length ${least}`);
  assert.equal(splitTokens(new Array(least).fill(0)).val.length, splitSizes(least).val, 'the same split as training');
});

test('too large for the adapter: the tensor, its bytes and the limit, before anything is allocated', () => {
  const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
  checkFits('gpt', gptTensorSizes(GPT, 8), limits);
  const big = { ...GPT, block: 8192 };
  assert.throws(
    () => checkFits('gpt', gptTensorSizes(big, 4096), limits),
    (e: unknown) => {
      assert.ok(e instanceof LimitError && e instanceof InputError);
      const bytes = tensorBytes([4096 * 8192, 65]);
      assert.match(
        e.message,
        new RegExp(
          `^gpt: the tensor "logits" \\[33554432, 65\\] is ${bytes} bytes \\(\\d+ MiB\\), past the device limit maxStorageBufferBindingSize = 134217728 bytes \\(128 MiB\\); .*lower --batch or --block`,
        ),
      );
      return true;
    },
  );
  // a limit on whole buffers is named too
  assert.throws(
    () =>
      checkFits('bert', bertTensorSizes(bertConfig({ vocabSize: 30000, hidden: 1024 }), 1, 16), {
        maxStorageBufferBindingSize: 2 ** 31,
        maxBufferSize: 64 * 2 ** 20,
      }),
    /bert: the tensor "bert\.embeddings\.word_embeddings\.weight" \[30000, 1024\] is 122880000 bytes .* maxBufferSize = 67108864 bytes/,
  );
});

test('characters a char tokenizer lacks are named with their positions; BPE takes any text', () => {
  const tok = CharTokenizer.train('the cat sat.');
  assert.deepEqual(tok.unknownChars('the Cat! é'), [
    { char: 'C', position: 4 },
    { char: '!', position: 7 },
    { char: 'é', position: 9 },
  ]);
  checkEncodable(tok, 'the cat', '--prompt');
  refuses(
    () => checkEncodable(tok, 'the Cat! é', '--prompt'),
    /^--prompt has 3 characters the tokenizer's vocabulary lacks .*: "C" \(U\+0043\) at 4, "!" \(U\+0021\) at 7, "é" \(U\+00E9\) at 9$/,
  );
  refuses(() => checkEncodable(tok, '😀'.repeat(12), 'the prompt'), /12 characters .* and 4 more$/);
  checkEncodable(BpeTokenizer.train('abc abc', { vocabSize: 258 }), 'anything at all ✓', '--prompt');
});

test('label files: bad lines name the line and what is wrong; at least two examples', () => {
  refuses(
    () => parseLabelledTsv('1\tgood\n2\tbad\n', '--labels l.tsv'),
    /^--labels l\.tsv:2: label "2" is not 0 or 1$/,
  );
  refuses(() => parseLabelledTsv('1\tgood\nno tab here\n', '--labels l.tsv'), /--labels l\.tsv:2: no tab/);
  refuses(
    () => parseLabelledTsv('1\tgood\n0\t \n', '--labels l.tsv'),
    /--labels l\.tsv:2: the text after the tab is empty/,
  );
  refuses(() => parseLabelledTsv('1\tonly one\n', '--labels l.tsv'), /only 1 example; at least 2/);
  assert.equal(parseLabelledTsv('1\tgood\n0\tbad\n').length, 2);
});

test('questions files: a line that is not four words names its number; an empty one is refused', () => {
  const q = parseQuestions(': capitals\nathens greece paris france\n');
  assert.deepEqual(q, [{ section: 'capitals', questions: [['athens', 'greece', 'paris', 'france']] }]);
  refuses(
    () => parseQuestions(': a\nathens greece paris france\nathens greece paris\n', '--questions q.txt'),
    /^--questions q\.txt:3: expected four words .*got 3/,
  );
  refuses(() => parseQuestions(': only a section\n', '--questions q.txt'), /no questions/);
});

test('a BERT corpus needs four documents (blank-line separated)', () => {
  assert.equal(bertDocuments('a b.\n\nc d.\n\ne f.\n\ng h.\n').length, 4);
  refuses(() => bertDocuments('one document.\nstill one.\n'), /bert: the corpus has 1 document; it needs at least 4/);
});

test('the errors of bad files are input errors: safetensors, word2vec corpora', () => {
  assert.ok(new SafetensorsError('x') instanceof InputError);
  assert.ok(new CorpusError('x') instanceof InputError);
});

test('a dropped text file (blobSource) is strict UTF-8: the bad byte and its offset in the file, across chunk ends too', async () => {
  const read = async (bytes: number[], chunk: number): Promise<string> => {
    let text = '';
    for await (const c of blobSource(new Blob([Uint8Array.from(bytes)]), chunk, 'notes.txt').chunks()) text += c;
    return text;
  };
  const euro = [0xe2, 0x82, 0xac]; // "€", 3 bytes
  const good = [...Buffer.from('one two '), ...euro, ...Buffer.from(' three')];
  for (const chunk of [1, 2, 3, 4, 5, 64]) assert.equal(await read(good, chunk), 'one two € three', `chunk ${chunk}`);
  const bad = [...Buffer.from('one two '), 0xe2, 0x82, 0x41, ...Buffer.from(' three')]; // "€" cut short at offset 8
  for (const chunk of [1, 2, 3, 9, 10, 64]) {
    await assert.rejects(
      read(bad, chunk),
      (e: Error) =>
        e instanceof InputError && /^notes\.txt: not UTF-8 text: byte 0xe2 at offset 8 does not start/.test(e.message),
      `chunk ${chunk}`,
    );
  }
  // a file that ends inside a sequence
  await assert.rejects(read([...Buffer.from('ab'), 0xe2, 0x82], 2), /byte 0xe2 at offset 2/);
  await assert.rejects(read([0x61, 0xff, 0x62], 64), /byte 0xff at offset 1/);
});
