// The mini BERT on the CPU: the masking recipe's proportions on a large sample, pair packing and
// padding, NSP pairing and per-epoch masks, the whole model's gradients against finite
// differences in float64, and the Hugging Face checkpoint mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IGNORE, bertConfig, buildClassifierGraph, buildPretrainGraph } from '../../src/models/bert/graph';
import {
  LabelledBatcher,
  maskTokens,
  packPair,
  padBatch,
  PretrainBatcher,
  type SpecialIds,
} from '../../src/models/bert/data';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Rng } from '../../src/util/prng';
import { fromHf, loadBertCheckpoint, saveBertCheckpoint, toHf } from '../../src/models/bert/hf';

const S: SpecialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4, vocabSize: 50 };

test('masking: 15% selected (never [CLS], [SEP], [PAD]), of those 80% [MASK], 10% random, 10% kept', () => {
  const B = 400;
  const T = 64;
  const rng = new Rng(3);
  const seqs = Array.from({ length: B }, () =>
    packPair(
      Array.from({ length: 20 + rng.int(20) }, () => 5 + rng.int(45)),
      Array.from({ length: 10 }, () => 5 + rng.int(45)),
      T,
      S,
    ),
  );
  const enc = padBatch(seqs, T, S);
  const orig = enc.input_ids.slice();
  const targets = maskTokens(enc.input_ids, S, new Rng(7));
  let candidates = 0;
  let selected = 0;
  let masked = 0;
  let random = 0;
  let kept = 0;
  for (let i = 0; i < orig.length; i++) {
    const special = [S.pad, S.cls, S.sep].includes(orig[i]!);
    if (special) {
      assert.equal(targets[i], IGNORE, 'special tokens are never selected');
      assert.equal(enc.input_ids[i], orig[i]);
      continue;
    }
    candidates++;
    if (targets[i] === IGNORE) {
      assert.equal(enc.input_ids[i], orig[i], 'unselected tokens are untouched');
      continue;
    }
    selected++;
    assert.equal(targets[i], orig[i], 'the target is the original token');
    if (enc.input_ids[i] === S.mask) masked++;
    else if (enc.input_ids[i] === orig[i]) kept++;
    else random++;
  }
  const near = (x: number, want: number, tol: number, what: string): void =>
    assert.ok(Math.abs(x - want) < tol, `${what}: ${x.toFixed(4)} vs ${want}`);
  // ~15k candidates: the standard error of 0.15 is ~0.003, of 0.8 among ~2.3k selected ~0.008
  near(selected / candidates, 0.15, 0.01, 'selected');
  near(masked / selected, 0.8, 0.025, '[MASK]');
  // a random replacement can draw the original token (1 in 45): counted as kept
  near(random / selected, 0.1 * (44 / 45), 0.02, 'random');
  near(kept / selected, 0.1 + 0.1 / 45, 0.02, 'kept');
});

test('packPair truncates longest-first and sets segments; padBatch pads on the right', () => {
  const p = packPair([10, 11, 12, 13, 14, 15], [20, 21], 8, S);
  assert.deepEqual(p.ids, [S.cls, 10, 11, 12, S.sep, 20, 21, S.sep]);
  assert.deepEqual(p.segments, [0, 0, 0, 0, 0, 1, 1, 1]);
  const b = padBatch([p, packPair([7], null, 8, S)], 8, S);
  assert.deepEqual(Array.from(b.kv_len), [8, 3]);
  assert.deepEqual(Array.from(b.input_ids.slice(8)), [S.cls, 7, S.sep, 0, 0, 0, 0, 0]);
});

test('pretraining batches: half the pairs are random, masks differ between epochs, runs repeat', () => {
  const r = new Rng(1);
  const docs = Array.from({ length: 40 }, () =>
    Array.from({ length: 5 }, () => Array.from({ length: 4 }, () => 5 + r.int(45))),
  );
  const batcher = new PretrainBatcher(docs, S, 32, 16, 9);
  let random = 0;
  const n = 20;
  const firsts: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const b = batcher.next();
    random += b.next_sentence_label.reduce((s, x) => s + x, 0);
    if (i === 0) firsts.push(b.labels);
  }
  assert.ok(Math.abs(random / (n * 32) - 0.5) < 0.06, `random pairs ${random / (n * 32)}`);
  assert.ok(batcher.epoch >= 3, 'several epochs went by');
  const again = new PretrainBatcher(docs, S, 32, 16, 9).next();
  assert.deepEqual(again.labels, firsts[0], 'same seed, same batch');
  // one pair per epoch: the same tokens, masked anew every epoch
  const one = new PretrainBatcher([[Array.from({ length: 12 }, (_, i) => 5 + i), [30, 31, 32]]], S, 1, 20, 4);
  const masks = new Set(Array.from({ length: 10 }, () => one.next().labels.join(',')));
  assert.equal(one.epoch, 9);
  assert.ok(masks.size >= 5, `masks drawn anew each epoch: ${masks.size} distinct of 10`);
});

test('batchers resume from their saved state: the same batches follow, across epoch ends', () => {
  const r = new Rng(2);
  const docs = Array.from({ length: 9 }, () =>
    Array.from({ length: 3 }, () => Array.from({ length: 2 + r.int(9) }, () => 5 + r.int(45))),
  );
  const a = new PretrainBatcher(docs, S, 5, 12, 7);
  for (let i = 0; i < 4; i++) a.next(); // 20 pairs of 18: into the second epoch
  const st = JSON.parse(JSON.stringify(a.state())) as ReturnType<PretrainBatcher['state']>;
  const b = new PretrainBatcher(docs, S, 5, 12, 7);
  b.restore(st);
  for (let i = 0; i < 6; i++) assert.deepEqual(b.next(), a.next(), `pretraining batch ${i} after restoring`);
  assert.ok(a.truncated > 0, 'some pairs were longer than the block, and were counted');
  assert.throws(
    () => b.restore({ epoch: 0, cursor: 99, counter: 0 }),
    /cannot resume the pretraining batches .*cursor must be an integer in 0\.\.18/,
  );
  const examples = Array.from({ length: 7 }, (_, i) => ({ ids: [5 + i, 6 + i], label: i % 2 }));
  const la = new LabelledBatcher(examples, S, 3, 6, 1);
  for (let i = 0; i < 3; i++) la.next();
  const lb = new LabelledBatcher(examples, S, 3, 6, 1);
  lb.restore(la.state());
  for (let i = 0; i < 5; i++) assert.deepEqual(lb.next(), la.next(), `labelled batch ${i} after restoring`);
});

test("the whole model's gradients match central finite differences in float64", () => {
  const cfg = bertConfig({
    vocabSize: 13,
    hidden: 8,
    layers: 1,
    heads: 2,
    intermediate: 12,
    maxPosition: 6,
    initStd: 0.3,
  });
  const B = 2;
  const T = 6;
  const m = buildPretrainGraph(cfg, B, T, 4);
  const params = m.g.trainable();
  const grads = gradients(m.g, m.loss, params);
  const sp = { ...S, vocabSize: 13 };
  const enc = padBatch([packPair([5, 6], [7, 8], T, sp), packPair([9, 10], null, T, sp)], T, sp);
  const labels = Int32Array.from(enc.input_ids, (t, i) => (i % 3 === 1 && t > 4 ? t : IGNORE));
  const feeds = { ...enc, labels, next_sentence_label: Int32Array.of(1, 0) };
  const base: Record<string, Float64Array> = {};
  for (const p of params) base[p.name] = Float64Array.from((p.node.attrs as { init: Float32Array }).init);
  const env = evaluate(m.g, grads, feeds, base);
  const lossAt = (ps: Record<string, Float64Array>): number => evaluate(m.g, [m.loss], feeds, ps).get(m.loss)![0]!;
  const r = new Rng(2);
  for (const name of [
    'bert.embeddings.word_embeddings.weight',
    'bert.encoder.layer.0.attention.self.query.weight',
    'bert.encoder.layer.0.output.LayerNorm.weight',
    'cls.predictions.transform.dense.weight',
    'bert.pooler.dense.bias',
    'cls.predictions.bias',
  ]) {
    const i = params.findIndex((p) => p.name === name);
    const got = env.get(grads[i]!)!;
    for (let k = 0; k < 3; k++) {
      const j = r.int(got.length);
      const eps = 1e-6;
      const plus = { ...base, [name]: Float64Array.from(base[name]!) };
      plus[name]![j]! += eps;
      const minus = { ...base, [name]: Float64Array.from(base[name]!) };
      minus[name]![j]! -= eps;
      const num = (lossAt(plus) - lossAt(minus)) / (2 * eps);
      assert.ok(
        Math.abs(num - got[j]!) <= 1e-6 + 1e-4 * Math.abs(num),
        `${name}[${j}]: autograd ${got[j]} vs numeric ${num}`,
      );
    }
  }
});

test('Hugging Face mapping: Linear weights transposed, embeddings kept, files round-trip', () => {
  const cfg = bertConfig({ vocabSize: 11, hidden: 8, layers: 1, heads: 2, intermediate: 12, maxPosition: 6 });
  const { g } = buildClassifierGraph(cfg, 3, 1, 6);
  const params: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, v] of g.params)
    params[name] = { shape: [...v.shape], data: (v.node.attrs as { init: Float32Array }).init };
  const hf = toHf(params);
  assert.deepEqual(hf['bert.encoder.layer.0.intermediate.dense.weight']!.shape, [12, 8], 'nn.Linear is (out, in)');
  assert.deepEqual(hf['bert.embeddings.word_embeddings.weight']!.shape, [11, 8]);
  const w = params['bert.encoder.layer.0.intermediate.dense.weight']!;
  assert.equal(
    hf['bert.encoder.layer.0.intermediate.dense.weight']!.data[1 * 8 + 2],
    w.data[2 * 12 + 1],
    'element (in 2, out 1)',
  );
  assert.deepEqual(fromHf(hf), params);
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c', 'd', 'e', 'f'].join('\n') + '\n';
  const files = saveBertCheckpoint(params, cfg, vocab, {
    architecture: 'BertForSequenceClassification',
    padTokenId: 0,
    labels: ['negative', 'neutral', 'positive'],
  });
  const back = loadBertCheckpoint(files);
  assert.deepEqual(back.cfg, cfg);
  assert.deepEqual(back.params, params);
  assert.equal(back.vocabTxt, vocab);
  assert.equal((back.config.id2label as Record<string, string>)['2'], 'positive');
  assert.equal(back.config.hidden_act, 'gelu_new');
  for (const name of Object.keys(params))
    assert.match(name, /^(bert\.(embeddings|encoder\.layer\.0|pooler)\.|classifier\.)/);
});
