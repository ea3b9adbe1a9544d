// The mini GPT demo: train on the built-in stories or a dropped text file with a live
// train/validation loss chart, tokens/s and samples; stop, resume, save and load checkpoints
// (Hugging Face GPT-2 files); generate with temperature / top-k / top-p / beam search; and show
// one head's attention weights over a prompt. `window.__gpt.generate` serves scripts/generate.ts.
// ?auto=1 trains at once (with &steps=N&preset=tiny&batch=N for a short run) and sets the ready
// state after it; the chart's points and live numbers are in `window.__demo.charts` (progress.ts).
import { createContext, gpt, text, type GpuContext } from '../../src/index';
import { Plot, COLORS } from '../common/plot';
import { Clock, fmtSeconds, placeholder, publishChart } from '../common/progress';
import { fromBase64 } from '../common/base64';
import { settle, type Settled } from '../common/settle';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const val = (id: string): number => Number($<HTMLInputElement>(id).value);

let ctxPromise: Promise<GpuContext> | null = null;
const context = (): Promise<GpuContext> => (ctxPromise ??= createContext());

/** What generation and the attention view use: the last trained or loaded model. */
let current: { model: gpt.GptModel; tokenizer: text.Tokenizer; dataCounter: number } | null = null;
let checkpoint: Record<string, Uint8Array> | null = null;
let fileText: string | null = null;
let stopping = false;
let trainHist: [number, number][] = [];
let valHist: [number, number][] = [];

function setCurrent(c: typeof current): void {
  if (current && current.model !== c?.model) current.model.destroy();
  current = c;
  for (const id of ['generate', 'attend', 'save']) $<HTMLButtonElement>(id).disabled = !c;
}

/** The loss chart from its first point, and the live numbers beside it (`numbers`). */
function drawLoss(steps: number, live: Record<string, number> = {}): void {
  const canvas = $<HTMLCanvasElement>('loss');
  if (!trainHist.length && !valHist.length) {
    placeholder(canvas, 'Train and validation loss appear here from the first step once you press Train.');
    return;
  }
  const all = [...trainHist, ...valHist].map(([, l]) => l);
  const hi = Math.max(...all) * 1.05;
  const lo = Math.max(0, Math.min(...all) * 0.9);
  new Plot(canvas, {
    x: [0, steps],
    y: [lo, hi],
    xLabel: 'step',
    yLabel: 'loss (nats/token)',
    title: 'train (blue) and validation (orange) loss',
  })
    .axes()
    .line(
      trainHist.map(([s]) => s),
      trainHist.map(([, l]) => l),
      COLORS.blue,
    )
    .line(
      valHist.map(([s]) => s),
      valHist.map(([, l]) => l),
      COLORS.orange,
      { width: 2 },
    );
  publishChart(canvas, trainHist.length + valHist.length, live);
}

function corpusText(): string {
  const useFile = document.querySelector<HTMLInputElement>('input[name=corpus]:checked')!.value === 'file';
  if (useFile) {
    if (!fileText) throw new Error('choose or drop a text file first');
    return fileText;
  }
  return text.generateStories({ seed: 1, targetChars: gpt.GPT_TRAIN_DEFAULTS.corpusChars }).text;
}

async function train(resume?: Record<string, Uint8Array>): Promise<void> {
  const ctx = await context();
  const preset = gpt.GPT_PRESETS[$<HTMLSelectElement>('preset').value as keyof typeof gpt.GPT_PRESETS];
  const steps = val('steps');
  stopping = false;
  if (!resume) {
    trainHist = [];
    valHist = [];
    $('samples').replaceChildren();
  }
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('resume').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  $('status').textContent = 'tokenizing and compiling the shaders…';
  $('numbers').textContent = 'compiling; the first loss appears after the first step';
  const clock = new Clock();
  let tps = 0;
  let lastVal = NaN;
  let first: number | null = null;
  let run: gpt.GptRunResult | null = null;
  try {
    run = await gpt.trainGpt(ctx, {
      text: corpusText(),
      tokenizer: $<HTMLSelectElement>('tokenizer').value as 'char' | 'bpe',
      vocab: gpt.GPT_TRAIN_DEFAULTS.vocab,
      ...preset,
      batch: val('batch'),
      steps,
      lr: val('lr'),
      dropout: val('dropout'),
      seed: val('seed'),
      sampleEvery: 200,
      sampleTokens: 160,
      resume,
      shouldStop: () => stopping,
      onProgress: (p) => {
        tps = p.tokensPerSec || tps;
        first ??= p.step - 1; // a resumed run estimates from its own steps
        const timing = clock.text(p.step - first, p.total - first);
        $('status').textContent = `step ${p.step}/${p.total}, ${timing}`;
        if (p.loss === null) return;
        trainHist.push([p.step, p.loss]);
        const val = Number.isFinite(lastVal) ? `, val ${lastVal.toFixed(3)}` : '';
        $('numbers').textContent =
          `step ${p.step}/${p.total}: train loss ${p.loss.toFixed(3)}${val}, ${Math.round(tps)} tokens/s; ${timing}`;
        drawLoss(steps, {
          step: p.step,
          loss: p.loss,
          tokensPerSec: tps,
          ...(Number.isFinite(lastVal) ? { valLoss: lastVal } : {}),
        });
      },
      onEval: (e) => {
        valHist.push([e.step, e.valLoss]);
        lastVal = e.valLoss;
        drawLoss(steps, { step: e.step, loss: e.trainLoss, valLoss: e.valLoss, valPpl: e.valPpl, tokensPerSec: tps });
        $('numbers').textContent =
          `step ${e.step}: train ${e.trainLoss.toFixed(3)}, val ${e.valLoss.toFixed(3)} (perplexity ${e.valPpl.toFixed(2)}), ${Math.round(tps)} tokens/s; ${clock.text(e.step, steps)}`;
      },
      onSample: (s) => {
        const pre = document.createElement('pre');
        pre.textContent = `step ${s.step}: ${s.text}`;
        $('samples').prepend(pre);
      },
    });
    setCurrent({ model: run.model, tokenizer: run.tokenizer, dataCounter: run.dataCounter });
    checkpoint = await gpt.saveRun(run);
    const m = run.metrics;
    $('status').textContent =
      `${m.steps} steps in ${fmtSeconds(clock.elapsed)}; val loss ${m.val_loss.toFixed(3)} (unigram baseline ${(m.unigram_baseline as number).toFixed(3)}${ngramText(m.baseline_ngram)}), ${Math.round(m.tokens_per_sec as number)} tokens/s`;
    $<HTMLButtonElement>('resume').disabled = (m.steps as number) >= steps;
  } catch (e) {
    $('status').textContent = `failed: ${(e as Error).message}`;
    throw e;
  } finally {
    $<HTMLButtonElement>('train').disabled = false;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

/** A model for inference from checkpoint files (model.safetensors, config.json, tokenizer.json or vocab.json + merges.txt; adapter files). */
async function modelFromFiles(
  ctx: GpuContext,
  files: Record<string, Uint8Array>,
): Promise<{ model: gpt.GptModel; tokenizer: text.Tokenizer; dataCounter: number }> {
  // ours or a Hugging Face folder (F16/BF16 widened), with a LoRA adapter when its files are there
  // (flat or under adapter/): every file is checked before the GPU is touched
  const { base, adapter } = gpt.splitAdapterFiles(files);
  const { model, tokenizer, progress } = await gpt.openGptModel(ctx, base, adapter);
  return { model, tokenizer, dataCounter: typeof progress['dataCounter'] === 'number' ? progress['dataCounter'] : 0 };
}

interface GenerateRequest {
  prompt: string;
  tokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  beam?: number;
  seed?: number;
  kvCache?: boolean;
}

async function generate(
  c: { model: Pick<gpt.GptModel, 'generate'>; tokenizer: text.Tokenizer },
  r: GenerateRequest,
  onText?: (s: string) => void,
): Promise<{ text: string; tokens: number; seconds: number; ids: number[] }> {
  text.checkEncodable(c.tokenizer, r.prompt, 'the prompt');
  const prompt = c.tokenizer.encode(r.prompt);
  const out: number[] = [];
  const t0 = performance.now();
  const seq = await c.model.generate(prompt.length ? prompt : [0], {
    tokens: r.tokens,
    temperature: r.temperature,
    topK: r.topK,
    topP: r.topP,
    beam: r.beam,
    seed: r.seed,
    kvCache: r.kvCache,
    onToken: (t) => {
      out.push(t);
      onText?.(c.tokenizer.decode(out));
    },
  });
  return {
    text: c.tokenizer.decode(seq),
    tokens: seq.length - prompt.length,
    ids: seq,
    seconds: (performance.now() - t0) / 1000,
  };
}

declare global {
  interface Window {
    __gpt: {
      generate(
        files: Record<string, string>,
        r: GenerateRequest,
      ): Promise<Settled<{ text: string; tokens: number; seconds: number; ids: number[] }>>;
    };
  }
}

window.__gpt = {
  generate: (b64, r) =>
    settle(async () => {
      const ctx = await context();
      const files = Object.fromEntries(Object.entries(b64).map(([k, v]) => [k, fromBase64(v)]));
      // inference only: one copy of the weights and the KV cache, no trainer
      const { base, adapter } = gpt.splitAdapterFiles(files);
      const { inference, tokenizer } = await gpt.openGptInference(ctx, base, adapter);
      try {
        return await generate({ model: inference, tokenizer }, r);
      } finally {
        inference.destroy();
      }
    }),
};

function drawAttention(tokens: string[], probs: Float32Array, head: number): void {
  const canvas = $<HTMLCanvasElement>('attention');
  const g = canvas.getContext('2d')!;
  const T = tokens.length;
  const pad = 70;
  const cell = Math.max(4, Math.floor((canvas.width - pad - 10) / T));
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = `${Math.min(14, cell)}px monospace`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  const show = (t: string): string => (t === ' ' ? '␣' : t === '\n' ? '⏎' : t.length > 6 ? t.slice(0, 5) + '…' : t);
  for (let i = 0; i < T; i++) {
    g.fillStyle = '#222';
    g.textAlign = 'right';
    g.fillText(show(tokens[i]!), pad - 6, pad + i * cell + cell / 2);
    g.save();
    g.translate(pad + i * cell + cell / 2, pad - 6);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(show(tokens[i]!), 0, 0);
    g.restore();
    for (let j = 0; j < T; j++) {
      const p = probs[(head * T + i) * T + j]!;
      const v = Math.round(255 * (1 - p));
      g.fillStyle = `rgb(${v},${v},255)`;
      g.fillRect(pad + j * cell, pad + i * cell, cell - 1, cell - 1);
    }
  }
}

// ---- wiring ----------------------------------------------------------------------------------
$('train').addEventListener('click', () => void train().catch((e) => console.warn(e)));
$('stop').addEventListener('click', () => (stopping = true));
$('resume').addEventListener('click', () => checkpoint && void train(checkpoint).catch((e) => console.warn(e)));
$('save').addEventListener('click', async () => {
  if (!current) return;
  const files = await current.model.save({ dataCounter: current.dataCounter }, current.tokenizer.toJSON());
  for (const [name, bytes] of Object.entries(files)) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart]));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
});
$<HTMLInputElement>('load').addEventListener('change', async (ev) => {
  const list = (ev.target as HTMLInputElement).files;
  if (!list?.length) return;
  const files: Record<string, Uint8Array> = {};
  // browsers may rename repeated downloads ("config (1).json"): match the file names loosely
  for (const f of Array.from(list)) {
    const name = ['model.safetensors', 'optimizer.safetensors', 'config.json', 'tokenizer.json'].find(
      (n) => f.name.replace(/ \(\d+\)/, '') === n,
    );
    if (name) files[name] = new Uint8Array(await f.arrayBuffer());
  }
  try {
    setCurrent(await modelFromFiles(await context(), files));
    checkpoint = files;
    $<HTMLButtonElement>('resume').disabled = false;
    $('status').textContent = `loaded ${Object.keys(files).join(', ')}`;
  } catch (e) {
    $('status').textContent = `load failed: ${(e as Error).message}`;
  }
});
const takeFile = async (f: File): Promise<void> => {
  try {
    // strict UTF-8: a binary or mis-encoded file is refused, never trained on as U+FFFDs
    fileText = text.decodeUtf8Text(f.name, new Uint8Array(await f.arrayBuffer()));
  } catch (e) {
    fileText = null;
    $('file-info').textContent = (e as Error).message;
    return;
  }
  $('file-info').textContent = `${f.name}: ${fileText.length} characters`;
  document.querySelector<HTMLInputElement>('input[name=corpus][value=file]')!.checked = true;
};
$<HTMLInputElement>('file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) void takeFile(f);
});
$('drop').addEventListener('dragover', (ev) => ev.preventDefault());
$('drop').addEventListener('drop', (ev) => {
  ev.preventDefault();
  const f = ev.dataTransfer?.files[0];
  if (f) void takeFile(f);
});
$('generate').addEventListener('click', async () => {
  if (!current) return;
  const r = {
    prompt: $<HTMLInputElement>('prompt').value,
    tokens: val('gen-tokens'),
    temperature: val('temperature'),
    topK: val('topk'),
    topP: val('topp'),
    beam: val('beam'),
    seed: val('seed'),
  };
  const out = $('output');
  out.textContent = r.prompt;
  try {
    const res = await generate(current, r, (s) => (out.textContent = r.prompt + s));
    out.textContent = res.text;
    $('status').textContent =
      `${res.tokens} tokens in ${res.seconds.toFixed(2)} s (${(res.tokens / res.seconds).toFixed(1)} tokens/s)`;
  } catch (e) {
    $('status').textContent = `generate failed: ${(e as Error).message}`;
  }
});
$('attend').addEventListener('click', async () => {
  if (!current) return;
  const ids = current.tokenizer.encode($<HTMLInputElement>('att-text').value);
  const layer = Math.min(val('att-layer'), current.model.config.layers - 1);
  const head = Math.min(val('att-head'), current.model.config.heads - 1);
  const m = await current.model.attentionMap(ids, layer);
  const used = ids.slice(-m.T);
  drawAttention(
    used.map((t) => current!.tokenizer.idToToken(t)),
    m.probs,
    head,
  );
  $('att-info').textContent = `layer ${layer}, head ${head}, ${m.T} tokens`;
});

// the form starts at the CLI's defaults (one table: GPT_TRAIN_DEFAULTS)
for (const id of ['steps', 'batch', 'lr', 'dropout'] as const)
  $<HTMLInputElement>(id).value = String(gpt.GPT_TRAIN_DEFAULTS[id]);
$<HTMLSelectElement>('tokenizer').value = gpt.GPT_TRAIN_DEFAULTS.tokenizer;
// URL options for a short run: ?steps=N&preset=tiny&batch=N fill the form, ?auto=1 presses Train
for (const [key, id] of [
  ['steps', 'steps'],
  ['preset', 'preset'],
  ['batch', 'batch'],
] as const) {
  const v = params.get(key);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}
drawLoss(val('steps'));
placeholder(
  $<HTMLCanvasElement>('attention'),
  "One head's attention over the text above appears here: train or load a model, then press Show.",
);
$('status').textContent = 'starting WebGPU…';

context()
  .then(async (ctx) => {
    $('adapter').textContent = ctx.adapter.name;
    $('status').textContent = 'ready: press Train (the shaders compile on the first run)';
    if (params.get('auto') === '1') await train();
    document.body.dataset.ready = '1';
  })
  .catch((e: Error) => {
    $('adapter').textContent = `no WebGPU: ${e.message}`;
    document.body.dataset.error = e.message;
    document.body.dataset.ready = 'error';
  });

/** `, 3-gram baseline 1.234` when the run's metrics have the n-gram baseline, else nothing. */
function ngramText(b: unknown): string {
  const ng = b as gpt.NgramBaseline | undefined;
  return ng && Number.isFinite(ng.val_loss) ? `, ${ng.n}-gram baseline ${ng.val_loss.toFixed(3)}` : '';
}
