// The word2vec demo: train on the built-in corpus or a dropped text file, watch the loss, words/s
// and a PCA projection of the most frequent words move; query neighbours and analogies; download.
// The scatter labels only the most frequent words that fit without overlapping (hover a dot for
// any word); after training the neighbour and analogy boxes show a default query. Pretrained
// vectors (a GloVe .txt or fastText .vec file, read by io.readWordVectors) can be loaded beside the
// trained ones; the query boxes run on whichever set the "query" menu picks. URL options for
// a short run: ?auto=1 trains at once (ready state after it), &tokens=N&epochs=N fill the form,
// &steps=N stops after N batches. Chart points and live numbers: `window.__demo.charts`.
import { createContext, word2vec, text, evaluation, io, type GpuContext } from '../../src/index';
import { Plot, COLORS } from '../common/plot';
import { Clock, placeholder, publishChart } from '../common/progress';
import { drawLabels, nearestPoint, type LabelPoint } from '../common/labels';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const num = (id: string): number => Number($<HTMLInputElement>(id).value);
let ctx: GpuContext;
let model: word2vec.Word2Vec | null = null;
let wv: evaluation.WordVectors | null = null;
/** Vectors read from a pretrained file, queried when the "query" menu says so. */
let loaded: evaluation.WordVectors | null = null;
let stopping = false;
/** The scatter's points in canvas pixels, for the hover title. */
let scatter: LabelPoint[] = [];

/** Top-2 principal components of the rows (power iteration with deflation), rows centred. */
function pca2(rows: Float32Array, n: number, D: number): Float64Array {
  const mean = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d] = mean[d]! + rows[i * D + d]! / n;
  const X = Float64Array.from({ length: n * D }, (_, k) => rows[k]! - mean[k % D]!);
  const comps: Float64Array[] = [];
  for (let c = 0; c < 2; c++) {
    let v = Float64Array.from({ length: D }, (_, d) => Math.sin(d + 1 + c));
    for (let it = 0; it < 60; it++) {
      const w = new Float64Array(D);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += X[i * D + d]! * v[d]!;
        for (let d = 0; d < D; d++) w[d] = w[d]! + s * X[i * D + d]!;
      }
      for (const p of comps) {
        let s = 0;
        for (let d = 0; d < D; d++) s += w[d]! * p[d]!;
        for (let d = 0; d < D; d++) w[d] = w[d]! - s * p[d]!;
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 2; c++)
      for (let d = 0; d < D; d++) out[2 * i + c] = out[2 * i + c]! + X[i * D + d]! * comps[c]![d]!;
  return out;
}

function drawPca(vec: Float32Array, words: readonly string[], D: number): void {
  const n = Math.min(60, words.length);
  const p = pca2(vec.subarray(0, n * D), n, D);
  // each axis spans its own component's range (the second is much narrower): room for labels
  const range = (c: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) [lo, hi] = [Math.min(lo, p[2 * i + c]!), Math.max(hi, p[2 * i + c]!)];
    const pad = 0.08 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  const canvas = $<HTMLCanvasElement>('pca');
  const plot = new Plot(canvas, {
    x: range(0),
    y: range(1),
    xLabel: 'PC 1',
    yLabel: 'PC 2',
    title: `PCA of the ${n} most frequent words (axes scaled separately)`,
  }).axes();
  plot.points(Array.from({ length: n }, (_, i) => ({ x: p[2 * i]!, y: p[2 * i + 1]!, color: COLORS.blue, r: 2 })));
  scatter = Array.from({ length: n }, (_, i) => ({
    x: plot.px(p[2 * i]!),
    y: plot.py(p[2 * i + 1]!),
    text: words[i]!,
  }));
  // words come most frequent first: those get the labels that fit
  const labelled = drawLabels(plot.g, scatter, {
    left: plot.left,
    top: plot.top,
    right: plot.left + plot.w,
    bottom: plot.top + plot.h,
  });
  $('pcaNote').textContent =
    `${labelled} of the ${n} words labelled (the most frequent that fit without overlapping); hover a dot for its word.`;
  publishChart(canvas, n, { labelled });
}

function drawLoss(xs: number[], ys: number[], live: Record<string, number> = {}): void {
  const canvas = $<HTMLCanvasElement>('loss');
  if (!xs.length)
    return placeholder(canvas, 'The loss per example appears here from the first measured batch once you press train.');
  const top = Math.max(1, ...ys);
  new Plot(canvas, {
    x: [0, Math.max(1, xs.at(-1) ?? 1)],
    y: [0, top * 1.05],
    xLabel: 'words processed (all epochs)',
    yLabel: 'loss',
    title: 'loss per example',
  })
    .axes()
    .line(xs, ys, COLORS.orange);
  publishChart(canvas, xs.length, live);
}

function source(): text.TextSource {
  if ($<HTMLSelectElement>('corpus').value === 'file') {
    const f = $<HTMLInputElement>('file').files?.[0];
    if (!f) throw new Error('choose a text file first');
    return text.blobSource(f, undefined, f.name);
  }
  return text.builtinCorpus({ tokens: num('tokens'), seed: 1 });
}

async function train(): Promise<void> {
  const status = $('status');
  model?.destroy();
  model = null;
  stopping = false;
  const alpha = $<HTMLInputElement>('alpha').value;
  const o = word2vec.resolveOptions({
    mode: $<HTMLSelectElement>('mode').value as 'skipgram' | 'cbow',
    dim: num('dim'),
    window: num('window'),
    negative: num('negative'),
    epochs: num('epochs'),
    minCount: num('mincount'),
    sample: num('sample'),
    seed: num('seed'),
    alpha: alpha ? Number(alpha) : undefined,
  });
  const src = source();
  status.textContent = 'counting words…';
  const vocab = text.Vocab.fromCounts((await text.countWords(src)).counts, o.minCount);
  const m = word2vec.Word2Vec.create(ctx, vocab, o);
  model = m;
  const xs: number[] = [];
  const ys: number[] = [];
  let lastPca = 0;
  const clock = new Clock();
  const maxBatches = Number(params.get('steps')) || Infinity;
  await word2vec.trainEpochs(m, src, {
    shouldStop: () => stopping || m.batches >= maxBatches,
    onProgress: async (p) => {
      status.textContent = `epoch ${p.epoch}/${p.epochs}  ${p.words}/${p.totalWords} words processed (all epochs)  ${Math.round(p.wordsPerSec)} words/s  loss ${p.loss.toFixed(4)}  lr ${p.lr.toPrecision(3)}  (vocabulary ${vocab.size}); ${clock.text(p.words, p.totalWords)}`;
      if (Number.isFinite(p.loss)) {
        xs.push(p.words);
        ys.push(p.loss);
        drawLoss(xs, ys, { words: p.words, wordsPerSec: p.wordsPerSec, loss: p.loss });
      }
      if (performance.now() - lastPca > 1500) {
        lastPca = performance.now();
        drawPca(await m.vectors(), vocab.words, o.dim);
      }
    },
  });
  wv = await m.wordVectors();
  drawPca(wv.vectors, vocab.words, o.dim);
  $<HTMLButtonElement>('download').disabled = false;
  pick('trained');
  status.textContent += '  — done';
}

/** The vectors the query boxes use: the trained or the loaded set, as the "query" menu says. */
const current = (): evaluation.WordVectors | null => ($<HTMLSelectElement>('which').value === 'loaded' ? loaded : wv);

/** A typed word as the vocabulary has it: as typed when known, else lowercased (our tokens, GloVe's). */
function key(v: evaluation.WordVectors, id: string): string {
  const w = $<HTMLInputElement>(id).value.trim();
  return v.has(w) ? w : w.toLowerCase();
}

/** Switch the query boxes to a set of vectors and show its accuracy and a default query in each box. */
function pick(which: 'trained' | 'loaded'): void {
  $<HTMLSelectElement>('which').value = which;
  const v = current();
  if (!v) return;
  const acc = evaluation.analogyAccuracy(v, text.builtinQuestions());
  $('accOut').textContent =
    `${which} vectors (${v.size} words × ${v.dim})\n` +
    acc.sections.map((s) => `${s.section}: ${s.correct}/${s.total}`).join('\n') +
    `\noverall ${(100 * acc.accuracy).toFixed(1)}% (${acc.skipped} skipped: unknown words)`;
  defaultQueries(v);
}

/** Show a query in each box: the form's words when known, else ones the vocabulary has. */
function defaultQueries(v: evaluation.WordVectors): void {
  const nn = $<HTMLInputElement>('nnWord');
  if (!v.has(key(v, 'nnWord'))) nn.value = v.words.find((w) => w.length > 3) ?? v.words[0] ?? '';
  const an = ['anA', 'anB', 'anC'].map((id) => $<HTMLInputElement>(id));
  if (!an.every((i) => v.has(key(v, i.id)))) {
    // the first built-in question whose words are all known
    const q = text
      .builtinQuestions()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((w) => w.length === 4 && w.every((x) => v.has(x)));
    if (q) an.forEach((i, k) => (i.value = q[k]!));
  }
  if (!['simA', 'simB'].every((id) => v.has(key(v, id))))
    [$<HTMLInputElement>('simA').value, $<HTMLInputElement>('simB').value] = [nn.value, v.words[1] ?? nn.value];
  for (const go of ['nnGo', 'anGo', 'simGo']) $(go).click();
}

/** Run a query on the current vectors into the box `out`; an unknown word shows its message. */
function guard(out: string, fn: (v: evaluation.WordVectors) => string): void {
  const v = current();
  try {
    $(out).textContent = v
      ? fn(v)
      : $<HTMLSelectElement>('which').value === 'loaded'
        ? 'load vectors first'
        : 'train first';
  } catch (e) {
    $(out).textContent = (e as Error).message;
  }
}
const fmt = (r: { word: string; score: number }[]): string =>
  r.map((x) => `${x.word.padEnd(14)} ${x.score.toFixed(3)}`).join('\n');
$('nnGo').addEventListener('click', () => guard('nnOut', (v) => fmt(v.mostSimilar(key(v, 'nnWord'), 8))));
$('anGo').addEventListener('click', () =>
  guard('anOut', (v) => fmt(v.analogy(key(v, 'anA'), key(v, 'anB'), key(v, 'anC'), 5))),
);
$('simGo').addEventListener('click', () =>
  guard('simOut', (v) => `cosine ${v.similarity(key(v, 'simA'), key(v, 'simB')).toFixed(3)}`),
);
$('which').addEventListener('change', () => pick($<HTMLSelectElement>('which').value as 'trained' | 'loaded'));

/** Read the chosen GloVe / fastText file (streamed, every line checked) into the loaded set. */
async function loadPretrained(f: File): Promise<void> {
  const status = $('pretrainedStatus');
  const limit = $<HTMLInputElement>('pretrainedLimit').value;
  status.textContent = `reading ${f.name}…`;
  const r = await io.readWordVectors(f, {
    format: $<HTMLSelectElement>('pretrainedFormat').value as io.VectorsFormat,
    limit: limit ? Number(limit) : undefined,
    onProgress: (n) => (status.textContent = `reading ${f.name}… ${n} words`),
  });
  loaded = new evaluation.WordVectors(r.words, r.vectors, r.dim);
  const kind = r.format === 'vec' ? 'fastText .vec / word2vec text, with a header' : 'GloVe, no header';
  status.textContent = `loaded ${f.name}: ${loaded.size} words × ${loaded.dim} (${kind}${limit ? `, the first ${limit} words` : ''})`;
  pick('loaded');
  document.body.dataset.pretrained = String(loaded.size);
}
$('pretrained').addEventListener('change', () => {
  const f = $<HTMLInputElement>('pretrained').files?.[0];
  if (!f) return;
  loadPretrained(f).catch((e: Error) => {
    $('pretrainedStatus').textContent = `could not load: ${e.message}`;
    document.body.dataset.pretrained = 'error';
  });
});
$('train').addEventListener('click', () => {
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  train()
    .catch((e: Error) => ($('status').textContent = `failed: ${e.message}`))
    .finally(() => {
      $<HTMLButtonElement>('train').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
    });
});
$('stop').addEventListener('click', () => (stopping = true));
$('pca').addEventListener('mousemove', (ev) => {
  const c = ev.currentTarget as HTMLCanvasElement;
  const r = c.getBoundingClientRect();
  const hit = nearestPoint(
    scatter,
    ((ev.clientX - r.left) * c.width) / r.width,
    ((ev.clientY - r.top) * c.height) / r.height,
  );
  c.title = hit?.text ?? '';
});
$('download').addEventListener('click', async () => {
  if (!model) return;
  const url = URL.createObjectURL(new Blob([await model.toText()], { type: 'text/plain' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: 'vectors.txt' });
  a.click();
  URL.revokeObjectURL(url);
});

// the form starts at the library's defaults (src/models/word2vec/defaults.ts), the page's lesson sizes smaller
const D = word2vec.WORD2VEC_DEFAULTS;
const form: Record<string, string | number> = {
  ...word2vec.WORD2VEC_PAGE,
  mode: D.mode,
  window: D.window,
  negative: D.negative,
  mincount: D.minCount,
  sample: D.sample,
  seed: D.seed,
};
for (const [id, v] of Object.entries(form)) $<HTMLInputElement>(id).value = String(v);
for (const key of ['tokens', 'epochs']) {
  const v = params.get(key);
  if (v !== null) $<HTMLInputElement>(key).value = v;
}
drawLoss([], []);
placeholder(
  $<HTMLCanvasElement>('pca'),
  'A PCA projection of the most frequent words appears here and moves while you train.',
);
$('status').textContent = 'starting WebGPU…';

createContext()
  .then(async (c) => {
    ctx = c;
    $('adapter').textContent = c.adapter.name;
    $('status').textContent = 'ready: press train (the shaders compile on the first run)';
    if (params.get('auto') === '1') await train();
    document.body.dataset.ready = '1';
  })
  .catch((e: Error) => {
    $('adapter').textContent = `no WebGPU: ${e.message}`;
    $('status').textContent = e.message;
    document.body.dataset.error = e.message;
    document.body.dataset.ready = 'error';
  });
