// The mini BERT on the GPU: one compiled step's loss and every gradient against the float64
// reference of the whole model (MLM + NSP, padding included), padding invariance, and the
// model's training behaviour (tests further down, kept small for the CI budget).
import { test } from '../harness/gpu';
import { assert, assertClose, assertRejects, compare } from '../harness/assert';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Executor } from '../../src/graph/executor';
import { bertConfig, buildPretrainGraph, BertEncoder, type BertConfig } from '../../src/models/bert/graph';
import { Graph } from '../../src/graph/graph';
import { Rng } from '../../src/util/prng';
import {
  maskTokens,
  packPair,
  padBatch,
  PretrainBatcher,
  LabelledBatcher,
  type SpecialIds,
  specialsOf,
} from '../../src/models/bert/data';
import { BertPretrainer } from '../../src/models/bert/model';
import { BertClassifier } from '../../src/models/bert/classifier';
import { BertInference } from '../../src/models/bert/inference';
import { BertPretraining } from '../../src/models/bert/train';
import { finetuneBert } from '../../src/models/bert/finetune';
import { runBert, type BertRunOptions } from '../../src/models/bert/run';
import { BERT_DEFAULTS } from '../../src/models/bert/defaults';
import { saveBertCheckpoint, loadBertCheckpoint } from '../../src/models/bert/hf';
import { WordPieceTokenizer } from '../../src/text/wordpiece';
import { generateBertDocuments } from '../../src/text/bert_data';
import { generateSentiment } from '../../src/text/sentiment';

function tinySpecials(vocabSize: number): SpecialIds {
  return { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4, vocabSize };
}

/** A padded pretraining batch of random sentence pairs (lengths vary; the last is the shortest). */
function tinyBatch(B: number, T: number, V: number, seed: number): Record<string, Int32Array> {
  const s = tinySpecials(V);
  const r = new Rng(seed);
  const sent = (n: number): number[] => Array.from({ length: n }, () => 5 + r.int(V - 5));
  const seqs = Array.from({ length: B }, (_, b) => packPair(sent(3 - (b % 2)), sent(b === B - 1 ? 1 : 3), T, s));
  const enc = padBatch(seqs, T, s);
  // mask with a high rate so the tiny batch has several targets
  const labels = maskTokens(enc.input_ids, s, r, { select: 0.5 });
  return { ...enc, labels, next_sentence_label: Int32Array.from({ length: B }, (_, b) => b % 2) };
}

const TINY: BertConfig = bertConfig({
  vocabSize: 29,
  hidden: 16,
  layers: 2,
  heads: 2,
  intermediate: 24,
  maxPosition: 9,
  initStd: 0.2,
});

test("bert: one step's loss and gradients match the float64 reference of the whole model", async ({ ctx }) => {
  const B = 3;
  const T = 9;
  const m = buildPretrainGraph(TINY, B, T, 5);
  const params = m.g.trainable();
  const grads = gradients(m.g, m.loss, params);
  const ex = await Executor.compile(ctx, m.g, { outputs: [m.loss, m.mlmLoss, m.nspLoss, ...grads] });
  const feeds = tinyBatch(B, T, TINY.vocabSize, 11);
  for (const [k, v] of Object.entries(feeds)) ex.write(k, v);
  const got = await ex.step({ read: [m.loss, m.mlmLoss, m.nspLoss, ...grads] });
  const env = evaluate(m.g, [m.loss, m.mlmLoss, m.nspLoss, ...grads], feeds);
  // error measure: max |gpu − ref| / max |ref| per parameter. The key biases' gradient is 0 in
  // exact arithmetic (softmax ignores a shift common to a row's scores), so theirs is measured
  // against the largest gradient of the model instead.
  const maxAbs = (a: ArrayLike<number>): number => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
    return m;
  };
  const top = Math.max(...grads.map((gv) => maxAbs(env.get(gv)!)));
  const rel = (a: ArrayLike<number>, b: Float64Array, name: string): number => {
    let num = 0;
    for (let i = 0; i < b.length; i++) num = Math.max(num, Math.abs(a[i]! - b[i]!));
    return num / (name.endsWith('key.bias') ? top : maxAbs(b));
  };
  assertClose(got[0]!, env.get(m.loss)!, { atol: 0, rtol: 1e-4 }, 'loss');
  assert(env.get(m.mlmLoss)![0]! > 0 && env.get(m.nspLoss)![0]! > 0, 'both losses are live');
  const worst: string[] = [];
  params.forEach((p, i) => {
    const e = rel(got[3 + i]!, env.get(grads[i]!)!, p.name);
    if (!(e <= 1e-4)) worst.push(`${p.name}: ${e.toExponential(2)}`);
  });
  assert(worst.length === 0, `gradients off by more than 1e-4 (max abs error / max |ref|): ${worst.join('; ')}`);
  ex.destroy();
});

test('bert: padding never changes the hidden states of the real tokens', async ({ ctx }) => {
  const cfg = bertConfig({
    vocabSize: 29,
    hidden: 16,
    layers: 2,
    heads: 2,
    intermediate: 32,
    maxPosition: 16,
    initStd: 0.2,
  });
  const s = tinySpecials(cfg.vocabSize);
  const sentence = [s.cls, 7, 12, 9, 20, s.sep];
  const L = sentence.length;
  const build = (B: number, T: number): { g: Graph; h: ReturnType<BertEncoder['forward']>['hidden'] } => {
    const g = new Graph();
    const enc = new BertEncoder(g, cfg, new Rng(3));
    return { g, h: enc.forward(BertEncoder.inputs(g, B, T), B, T).hidden };
  };
  // alone, no padding at all
  const a = build(1, L);
  const exA = await Executor.compile(ctx, a.g, { outputs: [a.h] });
  exA.write('input_ids', sentence);
  exA.write('token_type_ids', new Int32Array(L));
  exA.write('kv_len', [L]);
  const [alone] = await exA.step({ read: [a.h] });
  // second of three in a batch padded to 16, beside a longer and a shorter sentence
  const B = 3;
  const T = 16;
  const b = build(B, T);
  const exB = await Executor.compile(ctx, b.g, { outputs: [b.h] });
  const ids = new Int32Array(B * T).fill(s.pad);
  const seg = new Int32Array(B * T);
  const r = new Rng(9);
  for (let i = 0; i < 14; i++) ids[i] = 5 + r.int(20);
  ids.set(sentence, T);
  seg.fill(1, T + 3, T + L);
  ids.set([s.cls, 8, s.sep], 2 * T);
  exB.write('input_ids', ids);
  exB.write('token_type_ids', seg);
  exB.write('kv_len', [14, L, 3]);
  const segA = new Int32Array(L).fill(1, 3);
  exA.write('token_type_ids', segA);
  const [alone2] = await exA.step({ read: [a.h] });
  const [batched] = await exB.step({ read: [b.h] });
  const D = cfg.hidden;
  const rep = compare(batched!.subarray(T * D, (T + L) * D), alone2!, { atol: 2e-5, rtol: 1e-4 });
  assert(rep.mismatches === 0, `padded vs alone: max abs ${rep.maxAbs.toExponential(2)} at ${rep.first.join(',')}`);
  assert(compare(alone!, alone2!, { atol: 0, rtol: 0 }).mismatches > 0, 'segments matter (the check is not vacuous)');
  exA.destroy();
  exB.destroy();
});

// ---- training behaviour (small configurations for the CI budget) ----------------------------------

function sentimentData(): {
  tok: WordPieceTokenizer;
  s: SpecialIds;
  train: { ids: number[]; label: number }[];
  test: { ids: number[]; label: number; text: string }[];
} {
  const data = generateSentiment({ seed: 1, train: 2000, test: 400 });
  const tok = WordPieceTokenizer.train(data.train.map((e) => e.text).join('\n'), { vocabSize: 128 });
  return {
    tok,
    s: specialsOf(tok),
    train: data.train.map((e) => ({ ids: tok.encode(e.text), label: e.label })),
    test: data.test.map((e) => ({ ids: tok.encode(e.text), label: e.label, text: e.text })),
  };
}

test('bert: a short pretraining run lifts masked-token accuracy well above the unigram baseline', async ({ ctx }) => {
  const docs = generateBertDocuments({ seed: 2, count: 400 }).map((d) => d.sentences);
  const tok = WordPieceTokenizer.train(docs.flat().join('\n'), { vocabSize: 160 });
  const s = specialsOf(tok);
  const enc = docs.map((d) => d.map((x) => tok.encode(x)));
  const cfg = bertConfig({ vocabSize: tok.vocabSize, hidden: 32, layers: 1, heads: 2, maxPosition: 32 });
  // the library's pretraining loop, on 6 held-out batches of seed 99
  const run = await BertPretraining.create(ctx, cfg, { train: enc.slice(0, 360), heldOut: enc.slice(360) }, s, {
    batch: 16,
    block: 32,
    lr: 1e-2,
    steps: 200,
    seed: 1,
    evalBatches: 6,
    evalSeed: 99,
  });
  const ev = await run.train();
  run.destroy();
  const uni = ev.unigram;
  assert(
    ev.mlmAccuracy >= uni + 0.05 && ev.mlmAccuracy >= 1.5 * uni,
    `masked-token accuracy ${ev.mlmAccuracy.toFixed(3)} vs unigram baseline ${uni.toFixed(3)} (${ev.masked} masked tokens)`,
  );
});

// Fine-tuning reaches the bar (≥ 90% held-out) on the built-in sentiment set, which
// defeats a bag of words (logistic regression on word counts: ~50% held-out): the model has to
// learn clause order and negation. Trained from the seed here (pretraining is tested above); this
// size and learning rate left the plateau within 150–250 steps for 6 of 6 seeds in a float64
// replica, and reached 97.5% here.
test('bert: fine-tuning reaches ≥ 90% held-out on the sentiment set, on negated and contrasting reviews too', async ({
  ctx,
}) => {
  const data = generateSentiment({ seed: 1, train: 2000, test: 400 });
  const tok = WordPieceTokenizer.train(data.train.map((e) => e.text).join('\n'), { vocabSize: 256 });
  const s = specialsOf(tok);
  const enc = (e: { text: string; label: number }): { ids: number[]; label: number } => ({
    ids: tok.encode(e.text),
    label: e.label,
  });
  const train = data.train.map(enc);
  const held = data.test.map(enc);
  const block = 20;
  const longest = Math.max(...[...train, ...held].map((e) => e.ids.length));
  assert(
    longest + 2 <= block,
    `every review fits the block (longest ${longest} pieces + [CLS] [SEP] vs ${block}): nothing is cut`,
  );
  const cfg = bertConfig({ vocabSize: tok.vocabSize, hidden: 64, layers: 2, heads: 4, maxPosition: block });
  // the library's fine-tuning loop, from the seed (no pretrained weights)
  const { classifier, probs } = await finetuneBert(ctx, cfg, { train, test: held }, s, {
    batch: 32,
    block,
    lr: 1e-3,
    steps: 300,
    seed: 1,
  });
  classifier.destroy();
  const right = probs.map((p, i) => (p[1]! > p[0]! ? 1 : 0) === held[i]!.label);
  const acc = (keep: (text: string) => boolean): { acc: number; n: number } => {
    const idx = data.test.map((e, i) => (keep(e.text) ? i : -1)).filter((i) => i >= 0);
    return { acc: idx.filter((i) => right[i]).length / idx.length, n: idx.length };
  };
  const lastClause = (t: string): string => t.split(/, but |, | and /).at(-1)!;
  const all = acc(() => true);
  const negated = acc((t) => /\b(not|never)\b/.test(lastClause(t)));
  const contrast = acc((t) => t.includes(', but ') || t.startsWith('although '));
  const report = `held-out ${all.acc.toFixed(3)} (n ${all.n}); last clause negated ${negated.acc.toFixed(3)} (n ${negated.n}); but/although ${contrast.acc.toFixed(3)} (n ${contrast.n})`;
  assert(all.acc >= 0.9, report);
  assert(negated.n >= 50 && negated.acc >= 0.85 && contrast.n >= 100 && contrast.acc >= 0.85, report);
});

// The mechanics of fine-tuning: every weight moves (or only the classifier, frozen encoder).
test('bert: fine-tuning updates every weight (frozen encoder: only the classifier) and fits a batch', async ({
  ctx,
}) => {
  const { tok, s, train } = sentimentData();
  const cfg = bertConfig({ vocabSize: tok.vocabSize, hidden: 32, layers: 1, heads: 2, maxPosition: 24 });
  const batch = new LabelledBatcher(train, s, 16, 24, 1).next();
  for (const freezeEncoder of [false, true]) {
    const cls = await BertClassifier.create(ctx, cfg, 2, {
      batch: 16,
      block: 24,
      lr: 5e-3,
      steps: 40,
      seed: 1,
      freezeEncoder,
    });
    const before = await cls.weights();
    let last = { loss: NaN, accuracy: 0 };
    for (let i = 0; i < 40; i++) last = await cls.step(batch);
    const after = await cls.weights();
    cls.destroy();
    const changed = Object.keys(before).filter(
      (n) => !n.endsWith('key.bias') && before[n]!.data.some((x, j) => x !== after[n]!.data[j]),
    );
    const all = Object.keys(before).filter((n) => !n.endsWith('key.bias'));
    if (freezeEncoder)
      assert(changed.join() === 'classifier.weight,classifier.bias', `frozen encoder: changed ${changed.join(', ')}`);
    else {
      assert(changed.length === all.length, `unchanged: ${all.filter((n) => !changed.includes(n)).join(', ')}`);
      assert(last.accuracy === 1 && last.loss < 0.1, `fits one batch: loss ${last.loss}, accuracy ${last.accuracy}`);
    }
  }
});

test('bert: a Hugging Face checkpoint round-trips (same fill-mask probabilities after reloading)', async ({ ctx }) => {
  const docs = generateBertDocuments({ seed: 3, count: 60 }).map((d) => d.sentences);
  const tok = WordPieceTokenizer.train(docs.flat().join('\n'), { vocabSize: 120 });
  const cfg = bertConfig({ vocabSize: tok.vocabSize, hidden: 16, layers: 1, heads: 2, maxPosition: 16 });
  const pre = await BertPretrainer.create(ctx, cfg, { batch: 4, block: 16, lr: 1e-2, steps: 3, seed: 4 });
  const batcher = new PretrainBatcher(
    docs.map((d) => d.map((x) => tok.encode(x))),
    specialsOf(tok),
    4,
    16,
    4,
  );
  for (let i = 0; i < 3; i++) await pre.step(batcher.next());
  const files = saveBertCheckpoint(await pre.weights(), cfg, tok.toVocabTxt(), {
    architecture: 'BertForPreTraining',
    padTokenId: tok.padId,
  });
  const a = await BertInference.create(ctx, cfg, 16, tok, pre.trainer.executor);
  const text = 'the [MASK] of the river was wet.';
  const before = await a.fillMask(text, 3);
  a.destroy();
  pre.destroy();
  const back = loadBertCheckpoint(files);
  const tok2 = WordPieceTokenizer.fromVocabTxt(back.vocabTxt);
  const b = await BertInference.create(ctx, back.cfg, 16, tok2, back.params);
  const after = await b.fillMask(text, 3);
  b.destroy();
  assert(before.length === 1 && before[0]!.candidates.length === 3, 'one mask, three candidates');
  assert(
    JSON.stringify(after) === JSON.stringify(before),
    `reloaded model differs: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`,
  );
});

test('bert: a run resumed from its pretrained/ files continues exactly (weights, AdamW state, batches, dropout)', async ({
  ctx,
}) => {
  const o: BertRunOptions = {
    ...BERT_DEFAULTS,
    vocab: 128,
    layers: 1,
    heads: 2,
    embd: 16,
    block: 16,
    batch: 4,
    steps: 6,
    finetuneSteps: 0,
    dropout: 0.1,
    evalBatches: 1,
    seed: 3,
  };
  const whole = await runBert(ctx, o);
  const half = await runBert(ctx, { ...o, stopAfter: 3 });
  const resumed = await runBert(ctx, { ...o, resume: half.pretrained });
  const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const f of ['model.safetensors', 'optimizer.safetensors'] as const)
    assert(same(whole.pretrained[f], resumed.pretrained[f]), `${f}: 3 + 3 resumed steps differ from 6 straight ones`);
  assert(
    !same(whole.pretrained['model.safetensors'], half.pretrained['model.safetensors']),
    'the halves differ (the check is not vacuous)',
  );
  assert(
    resumed.metrics.mlm_loss === whole.metrics.mlm_loss,
    `held-out MLM loss ${resumed.metrics.mlm_loss} vs ${whole.metrics.mlm_loss}`,
  );
  // checkpoints written during a run (checkpointEvery) are the files an interrupted run leaves, and do not disturb it
  const saved: { step: number; files: Record<string, Uint8Array> }[] = [];
  const watched = await runBert(ctx, { ...o, checkpointEvery: 3, onCheckpoint: (c) => void saved.push(c) });
  assert(
    saved.map((c) => c.step).join(',') === '3',
    `checkpoints at steps ${saved.map((c) => c.step).join(',')} (every 3, not at the last step 6)`,
  );
  for (const f of ['model.safetensors', 'optimizer.safetensors'] as const) {
    assert(
      same(saved[0]!.files[f]!, half.pretrained[f]),
      `${f}: the step-3 checkpoint differs from a run stopped after step 3`,
    );
    assert(same(watched.pretrained[f], whole.pretrained[f]), `${f}: taking checkpoints changed the run`);
  }
  await assertRejects(
    'resume backwards',
    () => runBert(ctx, { ...o, steps: 2, resume: half.pretrained }),
    /at pretraining step 3; --steps 2 would go back/,
  );
  await assertRejects(
    'resume on other data',
    () => runBert(ctx, { ...o, seed: 4, resume: half.pretrained }),
    /pretrained on other documents/,
  );
  const { ['optimizer.safetensors']: _, ...noOptimizer } = half.pretrained;
  await assertRejects(
    'resume without optimizer state',
    () => runBert(ctx, { ...o, resume: noOptimizer }),
    /no optimizer\.safetensors/,
  );
});
