// Checkpoint folders given by a user (issue 11): a valid tiny GPT and BERT folder opens; each
// broken copy — a missing file, a truncated or garbage model.safetensors, a config.json that is
// not JSON or does not match the weights, a garbage tokenizer.json or vocab.txt — is refused
// with one InputError line naming the file, by the pure code the CLIs (in Node, before the
// browser) and the pages share; and the per-op BERT checks (no [MASK], no head) likewise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/util/errors';
import { openGptFolder } from '../../src/models/gpt/folder';
import { checkClassify, checkFillMask, checkSimilarity } from '../../src/models/bert/use';
import { openBertFolder } from '../../src/models/bert/folder';
import { CharTokenizer } from '../../src/text/char';
import { openBertFolderAt, openGptFolderAt } from '../../scripts/lib/folders';
import { GPT_TEXT, bertFolderFiles, gptFolderFiles, writeFolder } from '../harness/folders';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
type Files = Record<string, Uint8Array>;

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

/** A copy of `files` with config.json's fields changed. */
function withConfig(files: Files, change: Record<string, unknown>): Files {
  return {
    ...files,
    'config.json': enc(JSON.stringify({ ...(JSON.parse(dec(files['config.json']!)) as object), ...change })),
  };
}

const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);

test('a GPT folder opens: config, parameters in our names, the tokenizer', () => {
  const f = openGptFolder(gptFolderFiles());
  assert.deepEqual([f.config.layers, f.config.embd, f.config.block], [1, 8, 8]);
  assert.equal(f.tokenizer.vocabSize, f.config.vocabSize);
  assert.deepEqual([...f.params['transformer.h.0.attn.query.weight']!.shape], [8, 8]);
});

test('a broken GPT folder is refused naming the file and the problem', () => {
  const ok = gptFolderFiles();
  const { 'tokenizer.json': _t, ...noTokenizer } = ok;
  const model = ok['model.safetensors']!;
  refuses(
    () => openGptFolder(noTokenizer),
    /^no tokenizer\.json \(a folder written by `npm run train -- gpt` has model\.safetensors, config\.json, tokenizer\.json\)$/,
  );
  refuses(
    () => openGptFolder({ ...ok, 'model.safetensors': model.slice(0, model.length - 100) }),
    /^model\.safetensors: safetensors: .*(past the end|data section)/,
  );
  refuses(
    () => openGptFolder({ ...ok, 'model.safetensors': model.slice(0, 5) }),
    /^model\.safetensors: .*shorter than the 8-byte header length field/,
  );
  refuses(() => openGptFolder({ ...ok, 'model.safetensors': random(4096) }), /^model\.safetensors: safetensors: /);
  refuses(() => openGptFolder({ ...ok, 'config.json': enc('{"n_embd": 8,') }), /^config\.json: not valid JSON/);
  refuses(
    () => openGptFolder({ ...ok, 'config.json': enc('[1, 2]') }),
    /^config\.json: expected a JSON object, got an array/,
  );
  refuses(() => openGptFolder({ ...ok, 'config.json': random(64) }), /^config\.json: not UTF-8 text/);
  refuses(
    () => openGptFolder(withConfig(ok, { n_layer: undefined })),
    /config\.json: "n_layer" is missing or not a number/,
  );
  refuses(
    () => openGptFolder(withConfig(ok, { n_head: 3 })),
    /^config\.json: gpt: embd 8 is not divisible by heads 3$/,
  );
  refuses(
    () => openGptFolder(withConfig(ok, { n_embd: 16 })),
    /^model\.safetensors: does not match config\.json \(1 layers, embd 16, .*\): gpt2: "transformer\.wte\.weight" is \[\d+, 8\], expected \[\d+, 16\]$/,
  );
  refuses(
    () => openGptFolder(withConfig(ok, { n_layer: 2 })),
    /^model\.safetensors: does not match config\.json .*no tensor "transformer\.h\.1\./,
  );
  refuses(() => openGptFolder({ ...ok, 'tokenizer.json': enc('not json') }), /^tokenizer\.json: not valid JSON/);
  refuses(
    () => openGptFolder({ ...ok, 'tokenizer.json': enc('{"kind": "char", "chars": "abc"}') }),
    /^tokenizer\.json: CharTokenizer\.fromJSON: expected/,
  );
  refuses(
    () => openGptFolder({ ...ok, 'tokenizer.json': enc('{"kind": "sentencepiece"}') }),
    /^tokenizer\.json: tokenizerFromJSON: unknown kind "sentencepiece"/,
  );
  const other = CharTokenizer.train(`${GPT_TEXT}XYZ`);
  refuses(
    () => openGptFolder({ ...ok, 'tokenizer.json': enc(JSON.stringify(other.toJSON())) }),
    /^tokenizer\.json has \d+ tokens but config\.json says vocab_size \d+: the files come from different runs$/,
  );
  refuses(
    () => openGptFolder({ ...ok, 'optimizer.safetensors': random(100) }),
    /^optimizer\.safetensors: safetensors: /,
  );
});

test('a BERT folder opens; a broken one is refused naming the file', () => {
  const ok = bertFolderFiles();
  const f = openBertFolder(ok);
  assert.equal(f.tok.vocabSize, f.cfg.vocabSize);
  const vocab = dec(ok['vocab.txt']!);
  refuses(
    () => openBertFolder({ ...ok, 'vocab.txt': Uint8Array.of(0x5b, 0x50, 0, 0xff) }),
    /^vocab\.txt: a binary file, not text \(a NUL byte at offset 2\)$/,
  );
  refuses(
    () => openBertFolder({ ...ok, 'vocab.txt': enc(vocab.replace('[MASK]\n', '')) }),
    /^vocab\.txt: .*the vocabulary has no \[MASK\] token/,
  );
  refuses(
    () => openBertFolder({ ...ok, 'vocab.txt': enc(`${vocab}extra\n`) }),
    /^vocab\.txt has 16 tokens but config\.json says vocab_size 15/,
  );
  refuses(() => openBertFolder({ ...ok, 'config.json': enc('}') }), /^config\.json: not valid JSON/);
  refuses(
    () => openBertFolder(withConfig(ok, { num_attention_heads: 3 })),
    /^config\.json: bert: hidden size 8 is not divisible by heads 3$/,
  );
  refuses(
    () => openBertFolder({ ...ok, 'model.safetensors': ok['model.safetensors']!.slice(0, 200) }),
    /^model\.safetensors: safetensors: /,
  );
  refuses(
    () => openBertFolder({ ...ok, 'tokenizer_config.json': enc('nope') }),
    /^tokenizer_config\.json: not valid JSON/,
  );
  // tensors that do not match config.json are refused by the op that would use them
  refuses(
    () =>
      checkFillMask(openBertFolder(withConfig(ok, { hidden_size: 16, intermediate_size: 64 })), ['the [MASK] sat'], 5),
    /bert fill-mask: "bert\.embeddings\.word_embeddings\.weight" has shape \[15, 8\] in model\.safetensors, the model of config\.json wants \[15, 16\]/,
  );
});

test('BERT ops refuse texts and folders they cannot use, in one line', () => {
  const f = openBertFolder(bertFolderFiles());
  assert.equal(checkFillMask(f, ['the [MASK] sat'], 3).length, 1);
  refuses(() => checkFillMask(f, ['the cat sat'], 5), /^bert fill-mask: "the cat sat" has no \[MASK\]/);
  refuses(
    () => checkFillMask(f, ['the\n[MASK]'.repeat(1), 'no\nmask here'], 5),
    /^bert fill-mask: "no mask here" has no \[MASK\]/,
  );
  refuses(
    () => checkFillMask(f, [`${'the '.repeat(20)}[MASK]`], 5),
    /is 21 word pieces, 23 with \[CLS\] and \[SEP\]; the model has 16 positions/,
  );
  refuses(() => checkFillMask(f, ['the [MASK]'], 0), /--top-k 0 must be an integer in \[1, 15\]/);
  refuses(() => checkClassify(f, ['the cat']), /^bert classify: the checkpoint has no classification head/);
  refuses(
    () => checkSimilarity(f, 'dog', ['the cat sat', 'the dog ran']),
    /^bert similarity: "dog" does not occur in "the cat sat"$/,
  );
  checkSimilarity(f, 'cat', ['the cat sat', 'a cat ran']);
});

test('in Node: a folder that is missing or a file, named as the user gave it', () => {
  const dir = writeFolder(gptFolderFiles());
  const bert = writeFolder(bertFolderFiles());
  try {
    assert.equal(openGptFolderAt('--resume x', dir).folder.config.layers, 1);
    assert.equal(openBertFolderAt(bert, bert).folder.cfg.hidden, 8);
    refuses(
      () => openGptFolderAt(`--resume ${dir}/nope`, path.join(dir, 'nope')),
      /^--resume .*\/nope: no such folder$/,
    );
    refuses(() => openGptFolderAt('runs/x', path.join(dir, 'config.json')), /^runs\/x: a file, not a folder$/);
    writeFileSync(path.join(dir, 'model.safetensors'), random(50));
    refuses(() => openGptFolderAt('runs/x', dir), /^runs\/x: model\.safetensors: safetensors: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bert, { recursive: true, force: true });
  }
});
