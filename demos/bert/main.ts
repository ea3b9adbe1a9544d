// The mini BERT page: pretrain (live MLM / NSP loss and accuracy), fill-mask, contextual vectors
// of an ambiguous word, fine-tuning a sentiment classifier (live accuracy), classifying typed
// sentences, attention heat maps and Hugging Face checkpoint downloads. On load it only starts
// the GPU and trains the WordPiece vocabulary, then sets `document.body.dataset.ready = '1'`;
// training starts on a click, or at once with ?auto=1 (&steps=N&ftSteps=N for short runs).
// With ?cli=1 it only starts the GPU and serves `window.__bert` (demos/bert/cli.ts) to
// scripts/bert.ts: fill-mask, classify and similarity on a saved checkpoint folder.
// A thin view over the library: the data, the pretraining loop (bert.BertPretraining, which
// Stop / Resume pause and continue) and the fine-tuning loop (bert.finetuneBert) are the ones the
// CLI runs, with the form starting at bert.BERT_DEFAULTS; the panels only draw their progress
// (pretrain_panel.ts, finetune_panel.ts, use_panel.ts, sharing page.ts). This file loads folders,
// wires the buttons, fills the form and starts the page.
import { createContext, bert, io } from '../../src/index';
import { nextFrame } from '../common/plot';
import { placeholders } from './view';
import { installBertCli } from './cli';
import { $, D, dropModels, num, params, requestStop, setBusy, setState, st } from './page';
import { pretrain, resumePretrain } from './pretrain_panel';
import { classify, finetune } from './finetune_panel';
import { attention, compareContexts, fillAttentionSelects, fillMask } from './use_panel';

// ---- 6. loading a folder written by the CLI or downloaded here ----------------------------------

async function load(list: FileList): Promise<void> {
  const files: Record<string, Uint8Array> = {};
  for (const f of list) files[f.name] = new Uint8Array(await f.arrayBuffer());
  const f = bert.openBertFolder(files);
  dropModels();
  // the folder's vocabulary becomes the page's: the built-in data is re-encoded with it
  st.data = bert.encodeBertData(st.texts, f.tok);
  st.cfg = f.cfg;
  st.loaded = f.params;
  st.hasMlm = Boolean(f.params['cls.predictions.bias']);
  st.inf = await bert.BertInference.create(st.ctx, f.cfg, f.cfg.maxPosition, f.tok, f.params);
  $<HTMLInputElement>('block').value = String(f.cfg.maxPosition);
  fillAttentionSelects(f.cfg);
  const kind = f.labels ? `BertForSequenceClassification (${f.labels.join(', ')})` : 'BertForPreTraining';
  st.preFiles = st.hasMlm ? (files as bert.BertCheckpointFiles) : undefined;
  st.clsFiles = undefined;
  if (f.labels) {
    st.cls = await bert.BertClassifier.create(
      st.ctx,
      f.cfg,
      f.labels.length,
      { batch: num('batch'), block: f.cfg.maxPosition, lr: D.finetuneLr, steps: 1, seed: D.seed },
      f.params,
    );
    st.clsFiles = files as bert.BertCheckpointFiles;
  }
  $('load-info').textContent =
    `loaded ${kind}: ${f.cfg.layers} layers, ${f.cfg.heads} heads, hidden ${f.cfg.hidden}, ${f.cfg.maxPosition} positions, vocabulary ${f.tok.vocabSize}${st.hasMlm ? '' : ' (no masked-LM head: fill-mask is off)'}.`;
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
for (const id of ['pre-stop', 'ft-stop']) $(id).addEventListener('click', () => requestStop());
$('dl-pre').addEventListener('click', () => st.preFiles && io.downloadCheckpoint(st.preFiles, 'bert-pretrained-'));
$('dl-cls').addEventListener('click', () => st.clsFiles && io.downloadCheckpoint(st.clsFiles, 'bert-classifier-'));
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

// the form starts at the library's defaults (one table: bert.BERT_DEFAULTS)
const FORM = {
  layers: D.layers,
  heads: D.heads,
  embd: D.embd,
  block: D.block,
  batch: D.batch,
  steps: D.steps,
  lr: D.lr,
  'ft-steps': D.finetuneSteps,
  'ft-lr': D.finetuneLr,
};
for (const [id, v] of Object.entries(FORM)) $<HTMLInputElement>(id).value = String(v);
$<HTMLInputElement>('task-text').checked = D.taskText;
$<HTMLInputElement>('ft-freeze').checked = D.freezeEncoder;

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
  const texts = bert.bertTexts({ seed: D.seed });
  setState({ ctx, texts, data: bert.encodeBertData(texts, bert.trainBertTokenizer(texts, D.vocab)) });
  $('status').textContent =
    `WordPiece vocabulary of ${st.data.tok.vocabSize} tokens; ${texts.docs.length} documents, ${texts.labelled.train.length} + ${texts.labelled.test.length} labelled reviews.`;
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
