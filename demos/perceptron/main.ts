// The perceptron / XOR / gradient-descent lesson page. Each section trains on the GPU and
// redraws after every update, yielding to the browser between steps. On load every section runs
// once; then `document.body.dataset.ready = '1'` and `window.__demo` holds the results.
// URL options: ?fast=1 (no pause between perceptron updates), ?mlpSteps=N (or ?steps=N, with
// ?auto=1 accepted as on the other pages: this page always runs on load), ?debug=N.
// Until the GPU is up and the shaders compiled, every chart says what it will show.
import { createContext, classic, type GpuContext } from '../../src/index';
import { Plot, COLORS, nextFrame, sleep } from '../common/plot';
import { Clock, placeholder, publishChart } from '../common/progress';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const num = (id: string, d: number): number => {
  const v = Number($<HTMLInputElement>(id).value);
  return Number.isFinite(v) ? v : d;
};

/** Tenths as the lesson writes them: 0.3, −0.1, 0 (f32 noise below 1e-6 hidden). */
function fix(v: number, digits = 2): string {
  const r = Number(v.toFixed(digits));
  return r === 0 ? '0' : String(r).replace('-', '−');
}

// ---- 1. the perceptron rule ------------------------------------------------------------------

function gatePlot(canvas: HTMLCanvasElement, gate: classic.Gate, w: readonly number[], b: number, title: string): void {
  const p = new Plot(canvas, { x: [-0.5, 1.5], y: [-0.5, 1.5], xLabel: 'x₁', yLabel: 'x₂', title }).axes();
  p.boundary(w[0]!, w[1]!, b, COLORS.orange);
  p.points(
    classic.GATE_INPUTS.map(([x, y], i) => ({
      x,
      y,
      color: classic.GATE_TARGETS[gate][i] ? COLORS.orange : COLORS.blue,
      hollow: !classic.GATE_TARGETS[gate][i],
    })),
  );
}

function tableRow(u: classic.PerceptronUpdate): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (u.error !== 0) tr.classList.add('update');
  if (u.index === 0) tr.classList.add('epoch');
  const cells = [
    u.index === 0 ? String(u.epoch) : '',
    ...u.x.map(String),
    String(u.target),
    fix(u.z),
    String(u.y),
    fix(u.error, 0),
    fix(u.w[0]),
    fix(u.w[1]),
    fix(u.b),
  ];
  for (const c of cells) tr.insertCell().textContent = c;
  return tr;
}

async function runAnd(ctx: GpuContext): Promise<classic.PerceptronRun> {
  const body = $<HTMLTableSectionElement>('and-table');
  body.replaceChildren();
  const canvas = $<HTMLCanvasElement>('and-plot');
  gatePlot(
    canvas,
    'and',
    classic.PERCEPTRON_DEFAULTS.w,
    classic.PERCEPTRON_DEFAULTS.b,
    'start: w = (0.3, −0.1), b = 0.2',
  );
  const slow = $<HTMLInputElement>('and-slow').checked && !params.has('fast');
  const run = await classic.runPerceptron(ctx, 'and', {
    maxEpochs: classic.PERCEPTRON_DEFAULTS.maxEpochs,
    onProgress: async (u) => {
      body.appendChild(tableRow(u));
      gatePlot(canvas, 'and', u.w, u.b, `epoch ${u.epoch}, after x = (${u.x.join(', ')})`);
      publishChart(canvas, body.rows.length, { w1: u.w[0]!, w2: u.w[1]!, b: u.b });
      await (slow ? sleep(150) : nextFrame());
    },
  });
  const e1 = run.history[3]!;
  $('and-summary').innerHTML =
    `End of epoch 1: w = (${fix(e1.w[0])}, ${fix(e1.w[1])}), b = ${fix(e1.b)} (the lesson: (0.3, −0.1), 0).<br>` +
    (run.converged
      ? `<span class="ok">Converged: epoch ${run.epochs} makes no error</span>; w = (${fix(run.w[0])}, ${fix(run.w[1])}), b = ${fix(run.b)}.`
      : `<span class="bad">No convergence in ${run.epochs} epochs.</span>`) +
    `<br>Errors per epoch: ${run.errorsPerEpoch.join(', ')}.`;
  return run;
}

async function runXorPerceptron(ctx: GpuContext): Promise<classic.PerceptronRun> {
  const canvas = $<HTMLCanvasElement>('xorp-plot');
  const slow = !params.has('fast');
  const run = await classic.runPerceptron(ctx, 'xor', {
    maxEpochs: 20,
    onProgress: async (u) => {
      gatePlot(canvas, 'xor', u.w, u.b, `XOR, epoch ${u.epoch}`);
      await (slow ? sleep(40) : nextFrame());
    },
  });
  $('xorp-summary').innerHTML =
    `After ${run.epochs} epochs (${run.history.length} updates): <span class="${run.converged ? 'ok' : 'bad'}">${run.converged ? 'converged?!' : 'never classified all four'}</span>.<br>` +
    `Errors per epoch: ${run.errorsPerEpoch.join(', ')}.<br>Last weights w = (${fix(run.w[0])}, ${fix(run.w[1])}), b = ${fix(run.b)}: the rule cycles.`;
  return run;
}

// ---- 2. the XOR MLP ----------------------------------------------------------------------------

const GRID = 41;

function drawSurface(values: ArrayLike<number> | null): void {
  const p = new Plot($<HTMLCanvasElement>('mlp-surface'), {
    x: [-0.5, 1.5],
    y: [-0.5, 1.5],
    xLabel: 'x₁',
    yLabel: 'x₂',
    title: 'σ(z): blue 0, orange 1',
  }).axes();
  if (values) p.heatmap(values, GRID);
  p.points(
    classic.GATE_INPUTS.map(([x, y], i) => ({
      x,
      y,
      color: classic.GATE_TARGETS.xor[i] ? COLORS.orange : COLORS.blue,
      hollow: !classic.GATE_TARGETS.xor[i],
      outline: '#222',
    })),
  );
}

function drawLoss(history: readonly classic.XorStep[], steps: number): void {
  const xs = history.map((s) => s.step);
  const last = history.at(-1);
  publishChart(
    $<HTMLCanvasElement>('mlp-loss'),
    history.length,
    last ? { loss: last.loss, accuracy: last.accuracy } : {},
  );
  new Plot($<HTMLCanvasElement>('mlp-loss'), {
    x: [0, Math.max(10, Math.min(steps, xs.length * 1.25))],
    y: [1e-3, 1],
    logY: true,
    xLabel: 'step',
    yLabel: 'BCE loss',
    title: 'XOR MLP training loss',
  })
    .axes()
    .line(
      xs,
      history.map((s) => s.loss),
      COLORS.blue,
    );
}

function showWeights(w: Record<string, number[]>, hidden: number): void {
  const t = $<HTMLTableElement>('mlp-weights');
  t.replaceChildren();
  const row = (label: string, vals: number[]): void => {
    const tr = t.insertRow();
    tr.insertCell().textContent = label;
    for (const v of vals) tr.insertCell().textContent = v.toFixed(3);
  };
  const hw = w['hidden.weight']!;
  const head = t.insertRow();
  for (const h of ['', ...Array.from({ length: hidden }, (_, j) => `h${j + 1}`)]) head.insertCell().textContent = h;
  row('x₁ →', hw.slice(0, hidden));
  row('x₂ →', hw.slice(hidden, 2 * hidden));
  row('bias', w['hidden.bias']!);
  row('h → out', w['out.weight']!);
  row('out bias', w['out.bias']!);
}

async function runMlp(ctx: GpuContext): Promise<Record<string, unknown>> {
  const seed = num('mlp-seed', classic.MLP_DEFAULTS.seed);
  const lr = num('mlp-lr', classic.MLP_DEFAULTS.lr);
  const steps = Math.max(1, Math.floor(num('mlp-steps', classic.MLP_DEFAULTS.steps)));
  const history: classic.XorStep[] = [];
  drawSurface(null);
  $('mlp-summary').textContent = "compiling the MLP's training graph…";
  const clock = new Clock();
  const model = await classic.XorMlp.create(ctx, { seed, lr });
  try {
    await classic.trainXor(
      ctx,
      {
        steps,
        onProgress: async (s) => {
          history.push(s);
          drawLoss(history, steps);
          if (s.step % 10 === 1) drawSurface(await model.surface(GRID));
          $('mlp-summary').textContent =
            `step ${s.step}/${steps}: loss ${s.loss.toFixed(4)}, accuracy ${(100 * s.accuracy).toFixed(0)}%; ${clock.text(s.step, steps)}`;
          await nextFrame();
        },
      },
      model,
    );
    const surface = await model.surface(GRID);
    drawSurface(surface);
    const weights = await model.weights();
    showWeights(weights, model.trainer.params[0]!.shape[1]!);
    const last = history.at(-1)!;
    const corner = (c: number, r: number): number => surface[r * GRID + c]!;
    const at = [corner(10, 10), corner(10, 30), corner(30, 10), corner(30, 30)];
    $('mlp-summary').innerHTML =
      `${last.accuracy === 1 ? '<span class="ok">100% after' : '<span class="bad">stuck at ' + (100 * last.accuracy).toFixed(0) + '% after'} ${last.step} steps</span>, loss ${last.loss.toFixed(4)}.<br>` +
      `σ(z) at (0,0), (0,1), (1,0), (1,1): ${at.map((v) => v.toFixed(3)).join(', ')}.`;
    return { steps: last.step, loss: last.loss, accuracy: last.accuracy, probs: at, weights, seed, lr };
  } finally {
    model.destroy();
  }
}

// ---- 3. gradient descent on y = a·x -----------------------------------------------------------

function drawLine(hist: readonly classic.LineStep[], steps: number): void {
  const xs = [0, ...hist.map((s) => s.step)];
  const as = [classic.LINE_FIT_DEFAULTS.a0, ...hist.map((s) => s.a)];
  const losses = hist.map((s) => s.loss);
  const lo = Math.min(...losses.filter((l) => l > 0), 1e-3);
  const hi = Math.max(...losses, 1);
  publishChart($<HTMLCanvasElement>('gd-loss'), hist.length, { a: hist.at(-1)!.a, loss: hist.at(-1)!.loss });
  new Plot($<HTMLCanvasElement>('gd-loss'), {
    x: [0, steps],
    y: [lo, hi],
    logY: true,
    xLabel: 'step',
    yLabel: 'L(a)',
    title: 'loss',
  })
    .axes()
    .line(
      hist.map((s) => s.step - 1),
      losses,
      COLORS.blue,
    );
  const amin = Math.min(...as, 1.5);
  const amax = Math.max(...as, 4.5);
  new Plot($<HTMLCanvasElement>('gd-a'), {
    x: [0, steps],
    y: [amin, amax],
    xLabel: 'step',
    yLabel: 'a',
    title: 'a → 4',
  })
    .axes()
    .line([0, steps], [4, 4], COLORS.grey, { dash: [4, 3] })
    .line(xs, as, COLORS.green);
}

async function runLine(ctx: GpuContext): Promise<Record<string, unknown>> {
  const lr = num('gd-lr', classic.LINE_FIT_DEFAULTS.lr);
  const steps = Math.max(1, Math.floor(num('gd-steps', classic.LINE_FIT_DEFAULTS.steps)));
  const hist: classic.LineStep[] = [];
  await classic.fitLine(ctx, {
    a0: classic.LINE_FIT_DEFAULTS.a0,
    lr,
    steps,
    onProgress: async (s) => {
      hist.push(s);
      drawLine(hist, steps);
      await nextFrame();
    },
  });
  const a = hist.at(-1)!.a;
  const factor = 1 - 12 * lr;
  $('gd-summary').innerHTML =
    `η = ${lr}: a − 4 is multiplied by 1 − 12η = ${factor.toFixed(3)} per step.<br>After ${steps} steps a = ${a.toPrecision(6)} ` +
    (Math.abs(a - 4) < 1e-3
      ? '<span class="ok">(converged)</span>'
      : Math.abs(factor) < 1
        ? '(converging)'
        : '<span class="bad">(diverging: η ≥ 1/6)</span>') +
    `.<br>Loss: ${hist[0]!.loss.toFixed(3)} → ${hist.at(-1)!.loss.toExponential(2)}.`;
  return { lr, steps, a, loss: hist.at(-1)!.loss, history: hist };
}

// ---- page ---------------------------------------------------------------------------------------

function button(id: string, fn: () => Promise<unknown>): void {
  const b = $<HTMLButtonElement>(id);
  b.addEventListener('click', () => {
    b.disabled = true;
    fn()
      .catch((e: Error) => fail(e))
      .finally(() => (b.disabled = false));
  });
}

function fail(e: Error): void {
  $('status').innerHTML = `<span class="bad">${e.message}</span>`;
  document.body.dataset.error = e.message;
  console.error(e);
}

/** What each chart will show, and when, until its section runs. */
function placeholders(): void {
  const wait = 'once the GPU is up and the shaders are compiled';
  placeholder(
    $<HTMLCanvasElement>('and-plot'),
    `The AND points and the perceptron's decision line appear here, update by update, ${wait}.`,
  );
  placeholder(
    $<HTMLCanvasElement>('xorp-plot'),
    'The same rule on XOR appears here after the AND run: its line never separates the classes.',
  );
  placeholder(
    $<HTMLCanvasElement>('mlp-loss'),
    "The MLP's training loss appears here from its first step, after the perceptron runs.",
  );
  placeholder(
    $<HTMLCanvasElement>('mlp-surface'),
    "The MLP's output σ(z) over the plane appears here while it trains.",
  );
  placeholder($<HTMLCanvasElement>('gd-loss'), 'The loss L(a) per step appears here after the MLP trains.');
  placeholder($<HTMLCanvasElement>('gd-a'), 'a per step, converging to 4, appears here after the MLP trains.');
}

// the forms start at the library's defaults (one table per model: src/models/classic/defaults.ts)
for (const [id, v] of [
  ['mlp-seed', classic.MLP_DEFAULTS.seed],
  ['mlp-lr', classic.MLP_DEFAULTS.lr],
  ['mlp-steps', classic.MLP_DEFAULTS.steps],
  ['gd-lr', classic.LINE_FIT_DEFAULTS.lr],
  ['gd-steps', classic.LINE_FIT_DEFAULTS.steps],
] as const)
  $<HTMLInputElement>(id).value = String(v);

async function main(): Promise<void> {
  const steps = params.get('mlpSteps') ?? params.get('steps');
  if (steps !== null) $<HTMLInputElement>('mlp-steps').value = steps;
  placeholders();
  $('status').textContent = 'starting WebGPU…';
  const ctx = await createContext();
  $('adapter').textContent = ctx.adapter.name;
  window.__demo = Object.assign(window.__demo ?? {}, { adapter: ctx.adapter.name });
  button('and-run', () => runAnd(ctx));
  button('mlp-run', () => runMlp(ctx));
  button('gd-run', () => runLine(ctx));
  const clock = new Clock();
  const phase = (what: string): void =>
    void ($('status').textContent =
      `${what} (elapsed ${Math.round(clock.elapsed)} s; the first run of each section compiles its shaders)`);
  phase('1/4: the perceptron rule on AND');
  const and = await runAnd(ctx);
  window.__demo.and = {
    epochs: and.epochs,
    converged: and.converged,
    w: and.w,
    b: and.b,
    errorsPerEpoch: and.errorsPerEpoch,
    epoch1: and.history.slice(0, 4),
  };
  phase('2/4: a perceptron on XOR');
  const xor = await runXorPerceptron(ctx);
  window.__demo.xorPerceptron = { epochs: xor.epochs, converged: xor.converged, errorsPerEpoch: xor.errorsPerEpoch };
  phase('3/4: the XOR MLP');
  window.__demo.xorMlp = await runMlp(ctx);
  phase('4/4: gradient descent on y = a·x');
  window.__demo.line = await runLine(ctx);
  await ctx.sync();
  $('status').textContent = '';
  document.body.dataset.ready = '1';
}

main().catch((e: Error) => {
  fail(e);
  document.body.dataset.ready = 'error';
});
