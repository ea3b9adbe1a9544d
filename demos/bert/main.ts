// The mini BERT page: pretrain (live MLM / NSP loss and accuracy), fill-mask, contextual vectors
// of an ambiguous word, fine-tuning a sentiment classifier (live accuracy), classifying typed
// sentences, attention heat maps and Hugging Face checkpoint downloads. On load it only starts
// the GPU and trains the WordPiece vocabulary, then sets `document.body.dataset.ready = '1'`;
// training starts on a click, or at once with ?auto=1 (&steps=N&ftSteps=N for short runs).
// With ?cli=1 it only starts the GPU and serves `window.__bert` (demos/bert/cli.ts) to
// scripts/bert.ts: fill-mask, classify and similarity on a saved checkpoint folder.
// Pretraining and fine-tuning can be stopped (the model trained so far is kept and evaluated);
// their charts draw from the first step, with live numbers, elapsed time and time left beside them.
import { createContext, type GpuContext } from '../../src/gpu/device';
import { downloadCheckpoint } from '../../src/io/checkpoint';
import { WordPieceTokenizer } from '../../src/text/wordpiece';
import { documentsToText, generateBertDocuments, generateSentiment } from '../../src/text/bert_data';
import { bertConfig, type BertConfig } from '../../src/models/bert';
import { PretrainBatcher, LabelledBatcher, type SpecialIds } from '../../src/models/bert_batch';
import { BertPretrainer, BertClassifier, BertInference, specialsOf, cosine } from '../../src/models/bert_model';
import { taskDocuments, unigramBaseline, withTaskDocuments } from '../../src/models/bert_pipeline';
import { saveBertCheckpoint, type BertCheckpointFiles } from '../../src/io/bert_hf';
import { COLORS, nextFrame } from '../common/plot';
import { Clock } from '../common/progress';
import { curvePlot, placeholders } from './view';
import { installBertCli } from './cli';
import { openBertFolder } from '../../src/models/bert_use';
import type { BertParams } from '../../src/io/bert_hf';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const num = (id: string): number => Number($<HTMLInputElement>(id).value);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface State {
  ctx: GpuContext;
  tok: WordPieceTokenizer;
  s: SpecialIds;
  /** The built-in documents as text, and encoded with `tok` (re-encoded when a folder is loaded). */
  docs: string[][];
  trainDocs: number[][][];
  evalDocs: number[][][];
  sentiment: ReturnType<typeof generateSentiment>;
  cfg?: BertConfig;
  pre?: BertPretrainer;
  inf?: BertInference;
  /** Whether `inf` has a trained masked-LM head (a loaded classifier/ folder has none). */
  hasMlm?: boolean;
  /** Weights of a loaded folder: fine-tuning starts from them when nothing was pretrained here. */
  loaded?: BertParams;
  cls?: BertClassifier;
  preFiles?: BertCheckpointFiles;
  clsFiles?: BertCheckpointFiles;
}
let st: State;
const results: Record<string, unknown> = {};
window.__demo = results;
/** Set by a Stop button: the running pretraining or fine-tuning loop ends after its current step. */
let stopping = false;

/** While a training loop runs, everything is disabled but its Stop button. */
function trainingStarted(stopId: 'pre-stop' | 'ft-stop'): Clock {
  stopping = false;
  $<HTMLButtonElement>(stopId).disabled = false;
  return new Clock();
}

function setBusy(busy: boolean): void {
  for (const b of document.querySelectorAll('button')) (b as HTMLButtonElement).disabled = busy;
  if (!busy) {
    for (const id of ['pre-stop', 'ft-stop']) $<HTMLButtonElement>(id).disabled = true;
    $<HTMLButtonElement>('pre-resume').disabled = !preRun || preRun.pre !== st.pre || preRun.xs.length >= preRun.steps;
    for (const id of ['ctx', 'attend', 'finetune']) $<HTMLButtonElement>(id).disabled = !st.inf;
    for (const id of ['fill', 'dl-pre']) $<HTMLButtonElement>(id).disabled = !st.inf || !st.hasMlm;
    for (const id of ['classify', 'dl-cls']) $<HTMLButtonElement>(id).disabled = !st.cls;
  }
}

// ---- 1. pretraining ---------------------------------------------------------------------------

/** A pretraining run, going or stopped: Resume continues it (same model, AdamW state, batches, curves). */
interface PretrainRun {
  pre: BertPretrainer;
  batcher: PretrainBatcher;
  steps: number;
  block: number;
  batch: number;
  tokens: number;
  /** Per step: MLM and NSP loss; at read steps (`ax`): masked-token and NSP accuracy. */
  xs: number[];
  mlm: number[];
  nsp: number[];
  ax: number[];
  macc: number[];
  nacc: number[];
}
let preRun: PretrainRun | null = null;

async function pretrain(): Promise<void> {
  preRun = null;
  st.inf?.destroy();
  st.pre?.destroy();
  st.cls?.destroy();
  st.inf = st.cls = st.loaded = undefined;
  const steps = Number(params.get('steps') ?? num('steps'));
  const block = num('block');
  const batch = num('batch');
  const cfg = bertConfig({ vocabSize: st.tok.vocabSize, hidden: num('embd'), layers: num('layers'), heads: num('heads'), maxPosition: block });
  st.cfg = cfg;
  $('status').textContent = 'compiling the pretraining graph…';
  $('pre-live').textContent = 'compiling; the first loss appears after the first step';
  const pre = await BertPretrainer.create(st.ctx, cfg, { batch, block, lr: num('lr'), steps, seed: 1 });
  st.pre = pre;
  // task-adaptive pretraining, as the CLI by default: the reviews' training texts join the documents
  const task = $<HTMLInputElement>('task-text').checked ? taskDocuments(st.sentiment.train).map((d) => d.map((x) => st.tok.encode(x))) : [];
  const batcher = new PretrainBatcher(withTaskDocuments(st.trainDocs, task), st.s, batch, block, 1);
  preRun = { pre, batcher, steps, block, batch, tokens: 0, xs: [], mlm: [], nsp: [], ax: [], macc: [], nacc: [] };
  await pretrainSteps(preRun);
}

/** Continue a stopped pretraining run up to its step count (the model it left is kept meanwhile). */
async function resumePretrain(): Promise<void> {
  st.inf?.destroy();
  st.cls?.destroy();
  st.inf = st.cls = undefined;
  await pretrainSteps(preRun!);
}

/** Pretraining steps from where `run` is to its end or Stop, then the held-out evaluation. */
async function pretrainSteps(run: PretrainRun): Promise<void> {
  const { pre, batcher, steps, block, batch, xs, mlm, nsp, ax, macc, nacc } = run;
  const cfg = pre.cfg;
  const clock = trainingStarted('pre-stop');
  const first = xs.length; // steps done before this call: the estimate counts this call's own
  const tokens0 = run.tokens;
  for (let i = first + 1; i <= steps && !stopping; i++) {
    const b = batcher.next();
    run.tokens += b.kv_len.reduce((x, y) => x + y, 0);
    // read the first step (of a resume too): the charts have a point from the start
    const read = i === first + 1 || i % 10 === 0 || i === steps;
    const r = await pre.step(b, read);
    xs.push(i);
    mlm.push(r.mlmLoss);
    nsp.push(r.nspLoss);
    if (read) {
      ax.push(i);
      macc.push(r.mlmAccuracy!);
      nacc.push(r.nspAccuracy!);
      curvePlot('loss-plot', 'loss', xs, [{ ys: mlm, color: COLORS.blue, label: 'MLM' }, { ys: nsp, color: COLORS.orange, label: 'NSP' }]);
      curvePlot('acc-plot', 'accuracy (this batch)', ax, [{ ys: macc, color: COLORS.blue, label: 'masked tokens' }, { ys: nacc, color: COLORS.orange, label: 'next sentence' }], 1);
      const timing = clock.text(i - first, steps - first);
      const tps = (run.tokens - tokens0) / clock.elapsed;
      $('status').textContent = `pretraining ${i}/${steps}, ${timing}`;
      $('pre-live').textContent = `step ${i}/${steps}: MLM loss ${r.mlmLoss.toFixed(3)}, NSP loss ${r.nspLoss.toFixed(3)}, masked-token accuracy ${(100 * r.mlmAccuracy!).toFixed(0)}%, ${tps.toFixed(0)} tokens/s; ${timing}`;
      await nextFrame();
    }
  }
  if (stopping) $('pre-live').textContent += ` — stopped at step ${xs.length} (Resume continues)`;
  const evalBatcher = new PretrainBatcher(st.evalDocs, st.s, batch, block, 7919);
  const evalBatches = Array.from({ length: 4 }, () => evalBatcher.next());
  const ev = await pre.evaluate(evalBatches);
  const uni = unigramBaseline(st.trainDocs, evalBatches, st.s);
  Object.assign(results, { mlmAccuracy: ev.mlmAccuracy, unigram: uni, nspAccuracy: ev.nspAccuracy });
  $('pretrain-summary').innerHTML = `Held-out documents: MLM loss ${ev.mlmLoss.toFixed(3)}, masked-token accuracy <b>${(100 * ev.mlmAccuracy).toFixed(1)}%</b> ` + `(unigram baseline ${(100 * uni).toFixed(1)}%), NSP accuracy ${(100 * ev.nspAccuracy).toFixed(1)}% over ${ev.masked} masked tokens; ${pre.params.toLocaleString()} parameters, ${xs.length} steps.`;
  st.inf = await BertInference.create(st.ctx, cfg, block, st.tok, pre.trainer.executor);
  st.hasMlm = true;
  st.preFiles = saveBertCheckpoint(await pre.weights(), cfg, st.tok.toVocabTxt(), { architecture: 'BertForPreTraining', padTokenId: st.s.pad });
  fillAttentionSelects(cfg);
}

// ---- 2. fill-mask, 3. contextual vectors, 5. attention -----------------------------------------

async function fillMask(): Promise<void> {
  const res = await st.inf!.fillMask($<HTMLInputElement>('fill-text').value, 5);
  results.fillMask = res;
  if (!res.length) {
    $('fill-out').innerHTML = '<p class="bad">Write [MASK] somewhere in the text.</p>';
    return;
  }
  $('fill-out').innerHTML = res
    .map((r, i) => `<table><tr><th class="l">[MASK] ${i + 1}</th><th>probability</th></tr>${r.candidates.map((c) => `<tr><td class="l">${esc(c.tokenStr)}</td><td>${c.score.toFixed(3)}</td></tr>`).join('')}</table>`)
    .join('<br>');
}

async function compareContexts(): Promise<void> {
  const word = $<HTMLInputElement>('ctx-word').value.trim();
  const texts = ['ctx-a', 'ctx-b', 'ctx-c', 'ctx-d'].map((id) => $<HTMLInputElement>(id).value);
  try {
    const vecs: Float32Array[] = [];
    for (const t of texts) vecs.push(await st.inf!.wordVector(t, word));
    const sims = vecs.map((a) => vecs.map((b) => cosine(a, b)));
    results.cosines = sims;
    $('ctx-out').innerHTML = `<table><tr><th></th>${texts.map((_, j) => `<th>${j + 1}</th>`).join('')}</tr>${sims
      .map((row, i) => `<tr><td class="l">${i + 1}. ${esc(texts[i]!)}</td>${row.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr>`)
      .join('')}</table><p class="note">Same-sense pairs (1–2, 3–4) should be more alike than cross-sense pairs.</p>`;
  } catch (e) {
    $('ctx-out').innerHTML = `<p class="bad">${esc((e as Error).message)}</p>`;
  }
}

function fillAttentionSelects(cfg: BertConfig): void {
  const opts = (n: number): string => Array.from({ length: n }, (_, i) => `<option>${i}</option>`).join('');
  $('att-layer').innerHTML = opts(cfg.layers);
  $('att-head').innerHTML = opts(cfg.heads);
}

async function attention(): Promise<void> {
  const { tokens, probs } = await st.inf!.attention($<HTMLInputElement>('att-text').value, Number($<HTMLSelectElement>('att-layer').value), Number($<HTMLSelectElement>('att-head').value));
  const c = $<HTMLCanvasElement>('att-plot');
  const g = c.getContext('2d')!;
  const n = tokens.length;
  const m = 90;
  const cell = Math.min(24, (c.width - m) / n);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#222';
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  tokens.forEach((t, i) => g.fillText(t, m - 4, m + (i + 0.5) * cell));
  tokens.forEach((t, j) => {
    g.save();
    g.translate(m + (j + 0.5) * cell, m - 4);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(t, 0, 0);
    g.restore();
  });
  probs.forEach((row, i) =>
    row.forEach((p, j) => {
      g.fillStyle = `rgba(31, 119, 180, ${Math.sqrt(p)})`;
      g.fillRect(m + j * cell, m + i * cell, cell - 1, cell - 1);
    }),
  );
  results.attention = { tokens, rows: probs.length };
}

// ---- 4. fine-tuning -----------------------------------------------------------------------------

async function finetune(): Promise<void> {
  st.cls?.destroy();
  const steps = Number(params.get('ftSteps') ?? num('ft-steps'));
  const block = num('block');
  const batch = num('batch');
  $('status').textContent = 'compiling the classifier graph…';
  $('ft-live').textContent = 'compiling; the first loss appears after the first step';
  const cls = await BertClassifier.create(st.ctx, st.cfg!, 2, { batch, block, lr: num('ft-lr'), steps, seed: 1, freezeEncoder: $<HTMLInputElement>('ft-freeze').checked }, st.pre ? await st.pre.weights() : st.loaded);
  st.cls = cls;
  const examples = st.sentiment.train.map((e) => ({ ids: st.tok.encode(e.text), label: e.label }));
  const batcher = new LabelledBatcher(examples, st.s, batch, block, 1);
  const xs: number[] = [];
  const acc: number[] = [];
  const loss: number[] = [];
  const clock = trainingStarted('ft-stop');
  for (let i = 1; i <= steps && !stopping; i++) {
    const r = await cls.step(batcher.next());
    xs.push(i);
    acc.push(r.accuracy);
    loss.push(r.loss);
    if (i === 1 || i % 5 === 0 || i === steps) {
      curvePlot('ft-plot', 'fine-tuning (training batches)', xs, [{ ys: acc, color: COLORS.green, label: 'accuracy' }, { ys: loss, color: COLORS.red, label: 'loss' }], 1);
      $('status').textContent = `fine-tuning ${i}/${steps}, ${clock.text(i, steps)}`;
      $('ft-live').textContent = `step ${i}/${steps}: loss ${r.loss.toFixed(3)}, batch accuracy ${(100 * r.accuracy).toFixed(0)}%; ${clock.text(i, steps)}`;
      await nextFrame();
    }
  }
  if (stopping) $('ft-live').textContent += ` — stopped at step ${xs.length}`;
  const test = st.sentiment.test.map((e) => ({ ids: st.tok.encode(e.text), label: e.label }));
  const a = await cls.accuracy(test, st.s);
  const neg = st.sentiment.test.filter((e) => / not | never /.test(e.text)).map((e) => ({ ids: st.tok.encode(e.text), label: e.label }));
  const an = await cls.accuracy(neg, st.s);
  results.finetuneAccuracy = a;
  $('ft-summary').innerHTML = `Held-out accuracy <b>${(100 * a).toFixed(1)}%</b> on ${test.length} reviews (${(100 * an).toFixed(1)}% on the ${neg.length} with a negation).`;
  st.clsFiles = saveBertCheckpoint(await cls.weights(), st.cfg!, st.tok.toVocabTxt(), { architecture: 'BertForSequenceClassification', padTokenId: st.s.pad, labels: ['negative', 'positive'] });
}

async function classify(): Promise<void> {
  const text = $<HTMLInputElement>('cls-text').value;
  const [p] = await st.cls!.predict([st.tok.encode(text)], st.s);
  results.classify = p;
  $('cls-out').innerHTML = `<p>negative ${p![0]!.toFixed(3)} · positive ${p![1]!.toFixed(3)} → <b>${p![1]! > 0.5 ? 'positive' : 'negative'}</b></p>`;
}

// ---- 6. loading a folder written by the CLI or downloaded here ----------------------------------

async function load(list: FileList): Promise<void> {
  const files: Record<string, Uint8Array> = {};
  for (const f of list) files[f.name] = new Uint8Array(await f.arrayBuffer());
  const f = openBertFolder(files);
  st.inf?.destroy();
  st.pre?.destroy();
  st.cls?.destroy();
  st.pre = st.inf = st.cls = undefined;
  preRun = null;
  // the folder's vocabulary becomes the page's: the built-in data is re-encoded with it
  st.tok = f.tok;
  st.s = specialsOf(f.tok);
  const enc = st.docs.map((d) => d.map((x) => f.tok.encode(x)));
  st.trainDocs = enc.slice(0, st.trainDocs.length);
  st.evalDocs = enc.slice(st.trainDocs.length);
  st.cfg = f.cfg;
  st.loaded = f.params;
  st.hasMlm = Boolean(f.params['cls.predictions.bias']);
  st.inf = await BertInference.create(st.ctx, f.cfg, f.cfg.maxPosition, f.tok, f.params);
  $<HTMLInputElement>('block').value = String(f.cfg.maxPosition);
  fillAttentionSelects(f.cfg);
  const kind = f.labels ? `BertForSequenceClassification (${f.labels.join(', ')})` : 'BertForPreTraining';
  st.preFiles = st.hasMlm ? (files as BertCheckpointFiles) : undefined;
  st.clsFiles = undefined;
  if (f.labels) {
    st.cls = await BertClassifier.create(st.ctx, f.cfg, f.labels.length, { batch: num('batch'), block: f.cfg.maxPosition, lr: 1e-3, steps: 1, seed: 1 }, f.params);
    st.clsFiles = files as BertCheckpointFiles;
  }
  $('load-info').textContent = `loaded ${kind}: ${f.cfg.layers} layers, ${f.cfg.heads} heads, hidden ${f.cfg.hidden}, ${f.cfg.maxPosition} positions, vocabulary ${f.tok.vocabSize}${st.hasMlm ? '' : ' (no masked-LM head: fill-mask is off)'}.`;
}

// ---- wiring --------------------------------------------------------------------------------------

function action(id: string, fn: () => Promise<void>): () => Promise<void> {
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      await fn();
      $('status').textContent = '';
    } catch (e) {
      $('status').textContent = `failed: ${(e as Error).message}`;
      throw e;
    } finally {
      setBusy(false);
    }
  };
  $(id).addEventListener('click', () => void run().catch((e) => console.error(e)));
  return run;
}

const runs = {
  pretrain: action('pretrain', pretrain),
  resume: action('pre-resume', resumePretrain),
  fill: action('fill', fillMask),
  ctx: action('ctx', compareContexts),
  finetune: action('finetune', finetune),
  classify: action('classify', classify),
  attend: action('attend', attention),
};
for (const id of ['pre-stop', 'ft-stop']) $(id).addEventListener('click', () => (stopping = true));
$('dl-pre').addEventListener('click', () => st.preFiles && downloadCheckpoint(st.preFiles, 'bert-pretrained-'));
$('dl-cls').addEventListener('click', () => st.clsFiles && downloadCheckpoint(st.clsFiles, 'bert-classifier-'));
$<HTMLInputElement>('load').addEventListener('change', (e) => {
  const list = (e.target as HTMLInputElement).files;
  if (!list?.length) return;
  setBusy(true);
  load(list)
    .catch((err: Error) => {
      $('load-info').textContent = `not loaded: ${err.message}`;
      console.warn(err);
    })
    .finally(() => setBusy(false));
});

async function start(): Promise<void> {
  placeholders();
  $('status').textContent = 'starting WebGPU…';
  const ctx = await createContext();
  $('adapter').textContent = ctx.adapter.name;
  if (params.has('cli')) {
    installBertCli(() => Promise.resolve(ctx));
    $('status').textContent = 'serving scripts/bert.ts (window.__bert)';
    return;
  }
  $('status').textContent = 'training the WordPiece vocabulary…';
  await nextFrame();
  const docs = generateBertDocuments({ seed: 1 }).map((d) => d.sentences);
  const sentiment = generateSentiment({ seed: 1 });
  const tok = WordPieceTokenizer.train(`${documentsToText(docs.map((sentences) => ({ topic: '', sentences })))}\n${sentiment.train.map((e) => e.text).join('\n')}`, { vocabSize: 512 });
  const enc = docs.map((d) => d.map((x) => tok.encode(x)));
  const nEval = Math.round(docs.length / 10);
  st = { ctx, tok, s: specialsOf(tok), docs, trainDocs: enc.slice(0, -nEval), evalDocs: enc.slice(-nEval), sentiment };
  $('status').textContent = `WordPiece vocabulary of ${tok.vocabSize} tokens; ${docs.length} documents, ${sentiment.train.length} + ${sentiment.test.length} labelled reviews.`;
  setBusy(false);
  if (params.has('auto')) {
    for (const r of [runs.pretrain, runs.fill, runs.ctx, runs.attend, runs.finetune, runs.classify]) await r();
  }
}

start()
  .then(() => (document.body.dataset.ready = '1'))
  .catch((e: Error) => {
    $('status').textContent = `failed: ${e.message}`;
    document.body.dataset.error = e.message;
    document.body.dataset.ready = 'error';
  });
