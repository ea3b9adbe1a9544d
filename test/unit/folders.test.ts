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
import { GPT_TEXT, bertFolderFiles, gptFolderFiles, hfGpt2FolderFiles, writeFolder } from '../harness/folders';
import { Gpt2Tokenizer } from '../../src/text/gpt2_bpe';
import { decodeF16, f32ToF16Bits } from '../../src/io/half';

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

test('a Hugging Face GPT-2 folder opens: F16/BF16 weights widened, GPT2Model names, GPT-2 tokenizer', () => {
  const ours = openGptFolder(gptFolderFiles()); // only for its parameter names
  for (const dtype of ['F16', 'BF16', 'F32'] as const) {
    const f = openGptFolder(hfGpt2FolderFiles(dtype));
    assert.ok(f.tokenizer instanceof Gpt2Tokenizer, dtype);
    assert.equal(f.config.vocabSize, 514);
    assert.deepEqual(Object.keys(f.params).sort(), Object.keys(ours.params).sort(), dtype);
    assert.ok(!('transformer.h.0.attn.bias' in f.params), 'the causal-mask buffer is dropped');
    assert.equal(f.tokenizer.decode(f.tokenizer.encode("It's 42 \u{1F600}")), "It's 42 \u{1F600}");
  }
  // F16 weights are exactly the f16 rounding of the f32 ones
  const w32 = openGptFolder(hfGpt2FolderFiles('F32')).params['transformer.wte.weight']!.data;
  const w16 = openGptFolder(hfGpt2FolderFiles('F16')).params['transformer.wte.weight']!.data;
  assert.deepEqual(w16, decodeF16(Uint16Array.from(w32, f32ToF16Bits)));
  assert.ok(
    w16.some((x, i) => x !== w32[i]),
    'F16 really was narrower',
  );
});

test('a Hugging Face GPT-2 folder this GPT cannot run, or a pickle-only one, is refused saying why', () => {
  const ok = hfGpt2FolderFiles();
  const { 'model.safetensors': _m, ...noModel } = ok;
  refuses(
    () => openGptFolder({ ...noModel, 'pytorch_model.bin': new Uint8Array(0) }),
    /pytorch_model\.bin.*save_pretrained\(DIR, safe_serialization=True\)/,
  );
  refuses(
    () => openGptFolder(withConfig(ok, { n_inner: 12 })),
    /config\.json: n_inner is 12, not 4·n_embd = 32, which this GPT does not implement$/,
  );
  refuses(() => openGptFolder(withConfig(ok, { layer_norm_epsilon: 1e-6 })), /layer_norm_epsilon is 0\.000001/);
  refuses(() => openGptFolder(withConfig(ok, { activation_function: 'relu' })), /activation_function relu/);
  refuses(() => openGptFolder(withConfig(ok, { vocab_size: 600 })), /^model\.safetensors: does not match config\.json/);
  const { 'merges.txt': _g, ...noMerges } = ok;
  refuses(() => openGptFolder(noMerges), /^no merges\.txt \(a folder written by `save_pretrained` has/);
  refuses(
    () => openGptFolder({ ...ok, 'merges.txt': enc('#version: 0.2\nnot-a-pair\n') }),
    /^gpt2 tokenizer: merges\.txt: merge 1 "not-a-pair" is not two tokens/,
  );
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
