// The LoRA fine-tuning page: open a local GPT-2 folder (Hugging Face's or ours, optionally with a
// PEFT adapter), generate from it, fine-tune it with LoRA on a pasted or uploaded text with a live
// loss chart (tune.ts), compare the samples before and after, and download the adapter (PEFT's
// files) or the merged model. Files are read with a progress bar (files.ts); every load error is
// shown in the page. test/demo_finetune.test.ts drives it with test/fixtures/hf_gpt2_f16.
import { createContext, gpt, text, type GpuContext } from '../../src/index';
import { nextFrame } from '../common/plot';
import { fmtBytes, offerDownloads, downloadAll, pickFiles, readPicked } from './files';
import { drawLoss, fineTune, type TuneSettings } from './tune';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const val = (id: string): number => Number($<HTMLInputElement>(id).value);

let ctxPromise: Promise<GpuContext> | null = null;
const context = (): Promise<GpuContext> => (ctxPromise ??= createContext());

/** The opened folder's files: the base model's, and the adapter's when one was opened. */
let baseFiles: Record<string, Uint8Array> | null = null;
let adapterFiles: Record<string, Uint8Array> | undefined;
/** What Generate uses: the opened model, or the fine-tuned one after a run. */
let current: { model: gpt.GptModel; tokenizer: text.Tokenizer } | null = null;
let lastRun: gpt.GptRunResult | null = null;
let adapterLinks: HTMLAnchorElement[] = [];
let mergedLinks: HTMLAnchorElement[] = [];
let stopping = false;
/** Reading, building, generating or training: the buttons that start another are disabled. */
let busy = false;
let training = false;

const SAMPLE_TEXT = [
  'Ship log, day one. The sea was calm and the wind came from the west. We sailed north past the grey rocks.',
  'Ship log, day two. The sea was rough and the wind came from the north. We stayed in the bay and mended the sails.',
  'Ship log, day three. The sea was calm again. We sailed east and saw three whales near the island.',
  'Ship log, day four. Rain all day. The cook made fish soup and the crew sang old songs below deck.',
  'Ship log, day five. The wind came from the south. We sailed past the lighthouse and reached the harbour at dusk.',
  'Ship log, day six. The harbour was loud with bells. We sold the salt fish and bought rope, bread and lamp oil.',
  'Ship log, day seven. We left the harbour at dawn. The sea was calm and the wind came from the west.',
  'Ship log, day eight. Fog in the morning. We rang the bell every minute and sailed slowly past the rocks.',
  'Ship log, day nine. The sky was clear. We sailed north and counted forty gulls following the boat.',
  'Ship log, day ten. A storm came from the east. We took down the sails and waited for the morning.',
].join('\n');

function setBusy(b: boolean): void {
  busy = b;
  for (const id of ['generate', 'train']) $<HTMLButtonElement>(id).disabled = b || !current;
  $<HTMLButtonElement>('stop').disabled = !training;
}

function setCurrent(c: typeof current): void {
  if (current && current.model !== c?.model) current.model.destroy();
  current = c;
  setBusy(busy);
}

function loadInfo(message: string, error = false): void {
  $('load-info').textContent = message;
  $('load-info').className = error ? 'error' : 'note';
}

/** Build the model from the opened files (base, plus the adapter when there is one). */
async function build(): Promise<void> {
  if (!baseFiles) return;
  setCurrent(null); // the last run's model too: its adapter's files stay downloadable, a merge needs it
  lastRun = null;
  $<HTMLButtonElement>('download-merged').disabled = true;
  loadInfo('building model… (checking the files, then uploading the weights to the GPU)');
  await nextFrame();
  const ctx = await context();
  const t0 = performance.now();
  const { model, tokenizer } = await gpt.openGptModel(ctx, baseFiles, adapterFiles);
  setCurrent({ model, tokenizer });
  const c = model.config;
  const lora = model.lora
    ? `, LoRA adapter r ${model.lora.r}, α ${model.lora.alpha} on ${model.lora.targets.join(', ')}`
    : '';
  loadInfo(
    `${c.layers} layers × ${c.embd} wide, ${c.heads} heads, block ${c.block}, ${c.vocabSize} tokens ` +
      `(${model.params.toLocaleString('en')} parameters${lora}), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  $('block').textContent = String(c.block);
  const w = $<HTMLInputElement>('window');
  w.max = String(c.block);
  w.value = String(Math.min(Number(w.value) || 64, c.block));
  $<HTMLButtonElement>('no-adapter').disabled = !adapterFiles;
  $('status').textContent = 'model ready: generate from it, or fine-tune it on a text';
}

/** Read a picker's files with a progress bar; `which` says whether they are the model's or the adapter's. */
async function openPicked(list: FileList | null, which: 'model' | 'adapter'): Promise<void> {
  if (!list?.length || busy) return;
  const bar = $<HTMLProgressElement>('load-bar');
  try {
    setBusy(true);
    const picked = pickFiles(list);
    if (!picked.size) throw new Error(`none of the ${list.length} files is one a GPT folder holds (config.json, …)`);
    const files = await readPicked(picked, (done, total, name) => {
      bar.value = total ? done / total : 1;
      loadInfo(`reading ${name}: ${fmtBytes(done)} of ${fmtBytes(total)}`);
    });
    bar.value = 1;
    if (which === 'adapter') adapterFiles = files;
    else {
      // one folder may hold both (a LoRA run folder with its base's files)
      const split = gpt.splitAdapterFiles(files);
      if (split.adapter) adapterFiles = split.adapter;
      // an adapter folder picked here (no weights beside it) waits for its base
      if (split.base['model.safetensors'] || !split.adapter) baseFiles = split.base;
    }
    if (!baseFiles) loadInfo('adapter read: now open its base model folder');
    else await build();
  } catch (e) {
    // a bad adapter leaves the base model open as it was
    if (which === 'adapter' && adapterFiles) {
      adapterFiles = undefined;
      await build().catch(() => undefined);
    }
    loadInfo(`could not open the ${which}: ${(e as Error).message}`, true);
    console.warn(e);
  } finally {
    setBusy(false);
  }
}

async function generate(): Promise<void> {
  if (!current) return;
  const c = current;
  const prompt = $<HTMLInputElement>('prompt').value;
  const out = $('output');
  try {
    setBusy(true);
    text.checkEncodable(c.tokenizer, prompt, 'the prompt');
    const ids = c.tokenizer.encode(prompt);
    const got: number[] = [];
    const t0 = performance.now();
    out.textContent = prompt;
    await c.model.generate(ids.length ? ids : [0], {
      tokens: val('gen-tokens'),
      temperature: val('temperature'),
      topK: val('topk'),
      seed: val('seed'),
      onToken: (t) => {
        got.push(t);
        out.textContent = prompt + c.tokenizer.decode(got);
      },
    });
    const s = (performance.now() - t0) / 1000;
    $('status').textContent = `${got.length} tokens in ${s.toFixed(2)} s (${(got.length / s).toFixed(1)} tokens/s)`;
  } catch (e) {
    $('status').textContent = `generate failed: ${(e as Error).message}`;
  } finally {
    setBusy(false);
  }
}

function settings(): TuneSettings {
  const targets = Array.from(document.querySelectorAll<HTMLInputElement>('input[name=target]:checked')).map(
    (i) => i.value,
  );
  return {
    text: $<HTMLTextAreaElement>('corpus').value,
    lora: { r: val('r'), alpha: val('alpha'), dropout: val('lora-dropout'), targets },
    steps: val('steps'),
    batch: val('batch'),
    window: val('window'),
    lr: val('lr'),
    seed: val('seed'),
    prompt: $<HTMLInputElement>('prompt').value,
    sampleTokens: val('gen-tokens'),
  };
}

async function train(): Promise<void> {
  if (!current || !baseFiles) return;
  const s = settings();
  const { tokenizer, model } = current;
  const config = model.config;
  try {
    // the text's checks first, while the opened model is still there to fall back on
    if (!s.lora.targets.length) throw new Error('choose at least one target module');
    text.checkEncodable(tokenizer, s.text, 'the text');
    if (!(s.window >= 2 && s.window <= config.block)) throw new Error(`the window must be in [2, ${config.block}]`);
    gpt.checkLmSplit(tokenizer.encode(s.text).length, s.window);
  } catch (e) {
    $('status').textContent = `cannot fine-tune: ${(e as Error).message}`;
    return;
  }
  stopping = false;
  training = true;
  setBusy(true);
  $('status').textContent = 'compiling the training step (base weights frozen, adapters A and B trainable)…';
  setCurrent(null); // one copy of the weights on the GPU: the run builds its own
  try {
    const run = await fineTune(await context(), baseFiles, config, s, () => stopping);
    lastRun = run;
    setCurrent({ model: run.model, tokenizer: run.tokenizer });
    $('status').textContent = 'fine-tuned: Generate now uses the adapted model; download the adapter below';
    adapterLinks = offerDownloads($('links'), 'adapter', 'adapter', await gpt.saveRun(run));
    mergedLinks = [];
    $('links').querySelector('[data-kind="merged"]')?.remove();
    $<HTMLButtonElement>('download-adapter').disabled = false;
    $<HTMLButtonElement>('download-merged').disabled = false;
  } catch (e) {
    $('status').textContent = `fine-tuning failed: ${(e as Error).message}`;
    console.warn(e);
    await build().catch((err: Error) => loadInfo(`could not reopen the model: ${err.message}`, true));
  } finally {
    training = false;
    setBusy(false);
  }
}

/** The merged model's files, made once per run (merging folds A·B into W in place). */
async function merged(): Promise<void> {
  if (!lastRun) return;
  if (!mergedLinks.length) {
    $('status').textContent = 'merging the adapters into the base weights…';
    mergedLinks = offerDownloads($('links'), 'merged', 'merged model', await gpt.saveMerged(lastRun), 'merged-');
    $('status').textContent = 'merged: the model computes the same function with W + (α/r)·A·B';
  }
  downloadAll(mergedLinks);
}

async function takeTextFile(f: File): Promise<void> {
  try {
    // strict UTF-8: a binary or mis-encoded file is refused, never trained on as U+FFFDs
    const t = text.decodeUtf8Text(f.name, new Uint8Array(await f.arrayBuffer()));
    $<HTMLTextAreaElement>('corpus').value = t;
    $('corpus-info').textContent = `${f.name}: ${t.length.toLocaleString('en')} characters`;
  } catch (e) {
    $('corpus-info').textContent = (e as Error).message;
  }
}

// ---- wiring ----------------------------------------------------------------------------------
for (const [id, which] of [
  ['model-dir', 'model'],
  ['model-files', 'model'],
  ['adapter-dir', 'adapter'],
  ['adapter-files', 'adapter'],
] as const)
  $<HTMLInputElement>(id).addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    void openPicked(input.files, which).finally(() => (input.value = ''));
  });
$('no-adapter').addEventListener('click', () => {
  if (busy) return;
  adapterFiles = undefined;
  void build().catch((e: Error) => loadInfo(`could not open the model: ${e.message}`, true));
});
$('generate').addEventListener('click', () => void generate());
$('train').addEventListener('click', () => void train());
$('stop').addEventListener('click', () => (stopping = true));
$('download-adapter').addEventListener('click', () => downloadAll(adapterLinks));
$('download-merged').addEventListener(
  'click',
  () => void merged().catch((e: Error) => ($('status').textContent = `merge failed: ${e.message}`)),
);
$<HTMLInputElement>('corpus-file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) void takeTextFile(f);
});
$<HTMLTextAreaElement>('corpus').value = SAMPLE_TEXT;
drawLoss([], [], val('steps'));
$('status').textContent = 'starting WebGPU…';

context()
  .then((ctx) => {
    $('adapter').textContent = ctx.adapter.name;
    $('status').textContent = 'ready: open a model folder';
    document.body.dataset.ready = '1';
  })
  .catch((e: Error) => {
    $('adapter').textContent = `no WebGPU: ${e.message}`;
    document.body.dataset.error = e.message;
    document.body.dataset.ready = 'error';
  });
