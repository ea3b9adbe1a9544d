// Hugging Face BERT folders written by transformers itself (test/fixtures/hf_bert_mlm: float32,
// vocab.txt; hf_bert_mlm_bf16: bfloat16, tokenizer.json only, as transformers 5 saves it; both
// from scripts/compare/hf_bert_folder_fixture.py) open with the loader the CLI and page use; our
// WordPiece ids equal BertTokenizer's on a battery of strings; hidden_act maps to our GELUs and
// back; what real hub folders hold (bert-base-uncased's LayerNorm.gamma/beta, int64 buffers, the
// tied decoder, the NSP head and pooler, BertModel's bare names) opens, and what we cannot run
// (an untied decoder, another activation, a pickle-only folder) is refused in one line.
// The logits are checked on the GPU: test/gpu/hf_bert_folder.gpu.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/util/errors';
import { openBertFolder } from '../../src/models/bert/folder';
import { checkFillMask } from '../../src/models/bert/use';
import { bertActivationFromHf, bertConfigFromHf, hfConfig } from '../../src/models/bert/hf';
import { BERT_FOLDER_FILES } from '../../src/models/bert/hub';
import { loadSafetensors, saveSafetensors, type TensorToSave } from '../../src/io/safetensors';
import { IGNORE, bertConfig, buildPretrainGraph } from '../../src/models/bert/graph';
import { packPair, padBatch, specialsOf } from '../../src/models/bert/data';
import { evaluate } from '../../src/graph/reference';
import { assertClose } from '../harness/assert';

const FIX = path.join(import.meta.dirname, '..', 'fixtures');
type Files = Record<string, Uint8Array>;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function readFixture(name: string): Files {
  const files: Files = {};
  for (const f of BERT_FOLDER_FILES) {
    try {
      files[f] = new Uint8Array(readFileSync(path.join(FIX, name, f)));
    } catch {
      // absent
    }
  }
  return files;
}

interface Expected {
  prompt: string;
  ids: number[];
  tokenizer_cases?: { text: string; ids: number[]; tokens: string[] }[];
}
const expected = (name: string): Expected =>
  JSON.parse(readFileSync(path.join(FIX, name, 'expected.json'), 'utf8')) as Expected;

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

/** model.safetensors of `files` rewritten by `edit` (tensor name → F32 tensor). */
function withTensors(files: Files, edit: (t: Record<string, TensorToSave>) => void): Files {
  const t: Record<string, TensorToSave> = {};
  for (const [n, v] of loadSafetensors(files['model.safetensors']!).tensors)
    t[n] = { dtype: 'F32', shape: [...v.shape], data: v.data as Float32Array };
  edit(t);
  return { ...files, 'model.safetensors': saveSafetensors(t, { format: 'pt' }) };
}

test('a BertForMaskedLM folder from save_pretrained opens: exact GELU, fill-mask tensors, BertTokenizer ids', () => {
  const f = openBertFolder(readFixture('hf_bert_mlm'));
  const want = expected('hf_bert_mlm');
  assert.equal(f.cfg.activation, 'gelu_erf', 'hidden_act "gelu" is the exact GELU');
  assert.deepEqual([f.cfg.hidden, f.cfg.layers, f.cfg.heads, f.cfg.intermediate], [16, 2, 2, 64]);
  assert.equal(f.params['bert.pooler.dense.weight'], undefined, 'BertForMaskedLM has no pooler');
  assert.equal(f.labels, null);
  const [pieces] = checkFillMask(f, [want.prompt], 5);
  assert.deepEqual([f.tok.clsId, ...pieces!, f.tok.sepId], want.ids, 'fill-mask ids are BertTokenizer’s');
  assert.ok(want.tokenizer_cases && want.tokenizer_cases.length >= 10);
  for (const c of want.tokenizer_cases) {
    const ids = [f.tok.clsId, ...f.tok.encode(c.text), f.tok.sepId];
    assert.deepEqual(ids, c.ids, `${JSON.stringify(c.text)}: ours ${ids.map((i) => f.tok.idToToken(i)).join(' ')}`);
  }
});

test('the bfloat16 folder (tokenizer.json, no vocab.txt) opens with the same tokenizer and widened weights', () => {
  const files = readFixture('hf_bert_mlm_bf16');
  assert.equal(files['vocab.txt'], undefined, 'transformers 5 writes no vocab.txt');
  const f = openBertFolder(files);
  const f32 = openBertFolder(readFixture('hf_bert_mlm'));
  assert.deepEqual(f.tok.toVocabTxt(), f32.tok.toVocabTxt(), 'tokenizer.json has vocab.txt’s vocabulary');
  assert.equal(f.tok.lowercase, true);
  for (const c of expected('hf_bert_mlm').tokenizer_cases!)
    assert.deepEqual([f.tok.clsId, ...f.tok.encode(c.text), f.tok.sepId], c.ids, JSON.stringify(c.text));
  assert.deepEqual(Object.keys(f.params).sort(), Object.keys(f32.params).sort());
  for (const [name, t] of Object.entries(f.params)) {
    const w = f32.params[name]!;
    assert.deepEqual(t.shape, w.shape, name);
    // bfloat16 keeps 8 significant bits: within 2^-8 relative of the float32 weights
    t.data.forEach((v, i) => assert.ok(Math.abs(v - w.data[i]!) <= 2 ** -8 * Math.abs(w.data[i]!) + 1e-30, name));
  }
});

test('hidden_act: "gelu" is exact, "gelu_new" / "gelu_pytorch_tanh" tanh, others refused; config.json keeps it', () => {
  assert.equal(bertActivationFromHf('gelu'), 'gelu_erf');
  assert.equal(bertActivationFromHf(undefined), 'gelu_erf', 'transformers’ BertConfig default');
  assert.equal(bertActivationFromHf('gelu_new'), 'gelu');
  assert.equal(bertActivationFromHf('gelu_pytorch_tanh'), 'gelu');
  assert.throws(() => bertActivationFromHf('relu'), /hidden_act "relu" is not supported/);
  const files = readFixture('hf_bert_mlm');
  const cfgJson = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
  refuses(
    () => openBertFolder({ ...files, 'config.json': enc(JSON.stringify({ ...cfgJson, hidden_act: 'silu' })) }),
    /^config\.json: hidden_act "silu" is not supported/,
  );
  const exact = bertConfigFromHf(cfgJson);
  assert.equal(hfConfig(exact, { architecture: 'BertForMaskedLM', padTokenId: 0 }).hidden_act, 'gelu');
  // our own runs keep writing (and reading back) the tanh form they train with
  const ours = bertConfig({ vocabSize: 10 });
  assert.equal(ours.activation, 'gelu');
  const written = hfConfig(ours, { architecture: 'BertForPreTraining', padTokenId: 0 });
  assert.equal(written.hidden_act, 'gelu_new');
  assert.equal(bertConfigFromHf(written).activation, 'gelu');
});

test('hub layouts open: LayerNorm.gamma/beta, int64 buffers, tied decoder, NSP head + pooler, bare BertModel names', () => {
  const base = readFixture('hf_bert_mlm');
  const ref = openBertFolder(base);
  const old = withTensors(base, (t) => {
    for (const n of Object.keys(t)) {
      const m = n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
      if (m !== n) {
        t[m] = t[n]!;
        delete t[n];
      }
    }
    t['bert.embeddings.position_ids'] = { dtype: 'I64', shape: [1, 32], data: Array.from({ length: 32 }, (_, i) => i) };
    t['cls.predictions.decoder.weight'] = t['bert.embeddings.word_embeddings.weight']!;
    t['cls.predictions.decoder.bias'] = t['cls.predictions.bias']!;
    t['cls.seq_relationship.weight'] = { dtype: 'F32', shape: [2, 16], data: new Float32Array(32).fill(0.5) };
    t['cls.seq_relationship.bias'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
    t['bert.pooler.dense.weight'] = { dtype: 'F32', shape: [16, 16], data: new Float32Array(256).fill(0.25) };
    t['bert.pooler.dense.bias'] = { dtype: 'F32', shape: [16], data: new Float32Array(16) };
  });
  const f = openBertFolder(old);
  for (const [name, t] of Object.entries(ref.params)) assert.deepEqual(f.params[name], t, name);
  assert.deepEqual(
    Object.keys(f.params)
      .filter((n) => !ref.params[n])
      .sort(),
    ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight'],
  );
  assert.deepEqual(f.params['cls.seq_relationship.weight']!.shape, [16, 2], 'Linear weights transposed to ours');
  // BertModel.save_pretrained: no "bert." prefix, no MLM head (similarity works, fill-mask refused)
  const bare = withTensors(base, (t) => {
    for (const n of Object.keys(t)) {
      if (n.startsWith('bert.')) t[n.slice(5)] = t[n]!;
      delete t[n];
    }
  });
  const b = openBertFolder(bare);
  assert.deepEqual(
    b.params['bert.embeddings.word_embeddings.weight'],
    ref.params['bert.embeddings.word_embeddings.weight'],
  );
  refuses(() => checkFillMask(b, ['the [MASK]'], 5), /no masked-LM head/);
});

test('what we cannot run is refused in one line: untied decoder, pickle-only, no vocabulary, not BERT', () => {
  const base = readFixture('hf_bert_mlm');
  const untied = withTensors(base, (t) => {
    const w = t['bert.embeddings.word_embeddings.weight']!;
    t['cls.predictions.decoder.weight'] = { ...w, data: (w.data as Float32Array).map((v) => v + 1) };
  });
  refuses(() => openBertFolder(untied), /^model\.safetensors: cls\.predictions\.decoder\.weight differs from/);
  const { 'model.safetensors': _m, ...noModel } = base;
  refuses(
    () => openBertFolder({ ...noModel, 'pytorch_model.bin': new Uint8Array(0) }),
    /^model\.safetensors: the folder has only pytorch_model\.bin .*save_pretrained/,
  );
  const { 'vocab.txt': _v, 'tokenizer.json': _t, ...noVocab } = base;
  refuses(() => openBertFolder(noVocab), /^no vocab\.txt/);
  const cfg = JSON.parse(new TextDecoder().decode(base['config.json'])) as Record<string, unknown>;
  refuses(
    () => openBertFolder({ ...base, 'config.json': enc(JSON.stringify({ ...cfg, model_type: 'roberta' })) }),
    /^config\.json: model_type "roberta" is not "bert"/,
  );
  const { 'vocab.txt': _v2, ...jsonOnly } = base;
  const tj = JSON.parse(new TextDecoder().decode(base['tokenizer.json'])) as Record<string, unknown>;
  refuses(
    () =>
      openBertFolder({
        ...jsonOnly,
        'tokenizer.json': enc(JSON.stringify({ ...tj, model: { ...(tj['model'] as object), type: 'BPE' } })),
      }),
    /^tokenizer\.json: model\.type is "BPE", not "WordPiece"/,
  );
});

test('float64 forward of both folders (our graph, the reference evaluator) gives transformers’ MLM logits', () => {
  for (const name of ['hf_bert_mlm', 'hf_bert_mlm_bf16']) {
    const f = openBertFolder(readFixture(name));
    const want = JSON.parse(readFileSync(path.join(FIX, name, 'expected.json'), 'utf8')) as Expected & {
      logits: number[][];
    };
    const T = f.cfg.maxPosition;
    const s = specialsOf(f.tok);
    const m = buildPretrainGraph({ ...f.cfg, dropout: 0 }, 1, T);
    const { ids, segments } = packPair(f.tok.encode(want.prompt), null, T, s);
    assert.deepEqual(ids, want.ids);
    const feeds = {
      ...padBatch([{ ids, segments }], T, s),
      labels: new Int32Array(T).fill(IGNORE),
      next_sentence_label: Int32Array.of(0),
    };
    // BertForMaskedLM has no pooler / NSP head: zeros there (they do not reach the MLM logits)
    const params = Object.fromEntries(
      [...m.g.params].map(([k, v]) => [k, f.params[k]?.data ?? new Float32Array(v.size)]),
    );
    const logits = evaluate(m.g, [m.mlmLogits], feeds, params).get(m.mlmLogits)!;
    const V = f.cfg.vocabSize;
    const r = assertClose(
      logits.slice(0, ids.length * V),
      want.logits.flat(),
      { atol: 1e-4, rtol: 1e-4 },
      `${name} logits`,
    );
    assert.ok(r.maxAbs < 1e-4, `${name}: max abs error ${r.maxAbs}`);
    if (process.env.SHADERGRAD_DEBUG)
      console.log(`${name}: float64 forward, max abs logit error ${r.maxAbs.toExponential(2)}`);
  }
});
