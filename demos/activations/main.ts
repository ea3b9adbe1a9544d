// Activation functions f and their derivatives f′ computed by the GPU kernels (unaryForward /
// unaryBackward with dy = 1) over a grid of x, plotted, and checked against the float64
// reference. Sets `document.body.dataset.ready = '1'` and `window.__demo` when done.
import { createContext, tensorFrom, gpu, ops, reference, type GpuContext } from '../../src/index';
import { Plot, COLORS } from '../common/plot';

interface Activation {
  op: ops.UnaryOp;
  title: string;
  formula: string;
  alpha?: number;
}

const ACTIVATIONS: Activation[] = [
  { op: 'sigmoid', title: 'sigmoid', formula: 'σ(x) = 1 / (1 + e^−x),  σ′ = σ(1 − σ)' },
  { op: 'tanh', title: 'tanh', formula: 'tanh(x),  tanh′ = 1 − tanh²' },
  { op: 'relu', title: 'ReLU', formula: 'max(0, x),  ReLU′ = 1 for x > 0, else 0' },
  { op: 'leaky_relu', title: 'leaky ReLU (α = 0.1)', formula: 'x for x > 0, else αx', alpha: 0.1 },
  { op: 'elu', title: 'ELU (α = 1)', formula: 'x for x > 0, else α(eˣ − 1);  ELU′ = αeˣ for x ≤ 0', alpha: 1 },
  { op: 'gelu', title: 'GELU (tanh approximation)', formula: '½x(1 + tanh(√(2/π)(x + 0.044715x³)))' },
];

const N = 161;
const XS = Float32Array.from({ length: N }, (_, i) => -4 + (8 * i) / (N - 1));

async function compute(ctx: GpuContext, a: Activation): Promise<{ y: Float32Array; dydx: Float32Array }> {
  const p = { alpha: a.alpha };
  const rec = new gpu.Recorder(ctx, { label: `activations.${a.op}` });
  const x = tensorFrom(ctx, XS, [N], 'f32', 'x');
  const ones = tensorFrom(ctx, new Float32Array(N).fill(1), [N], 'f32', 'dy');
  const y = await ops.unaryForward(rec, a.op, x, p);
  const saved = ops.UNARY_SAVES[a.op] === 'x' ? x : ops.UNARY_SAVES[a.op] === 'y' ? y : null;
  const dx = await ops.unaryBackward(rec, a.op, ones, saved, p);
  rec.submit();
  const out = { y: (await y.read()) as Float32Array, dydx: (await dx.read()) as Float32Array };
  for (const t of [x, ones, y, dx]) t.release();
  return out;
}

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

function figure(a: Activation): { canvas: HTMLCanvasElement; caption: HTMLElement } {
  const fig = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const caption = document.createElement('figcaption');
  caption.textContent = a.formula;
  fig.append(canvas, caption);
  document.getElementById('plots')!.appendChild(fig);
  return { canvas, caption };
}

declare global {
  interface Window {
    __demo: Record<string, unknown>;
  }
}

async function main(): Promise<void> {
  const ctx = await createContext();
  document.getElementById('adapter')!.textContent = ctx.adapter.name;
  const results: Record<string, { maxErrF: number; maxErrD: number }> = {};
  for (const a of ACTIVATIONS) {
    const { canvas, caption } = figure(a);
    const { y, dydx } = await compute(ctx, a);
    const p = { alpha: a.alpha };
    const wantY = reference.unaryForward(a.op, XS, p);
    const savedRef = ops.UNARY_SAVES[a.op] === 'x' ? XS : wantY;
    const wantD = reference.unaryBackward(a.op, new Float64Array(N).fill(1), savedRef, p);
    const errF = maxErr(y, wantY);
    const errD = maxErr(dydx, wantD);
    results[a.op] = { maxErrF: errF, maxErrD: errD };
    const lo = Math.min(-1.2, ...y, ...dydx);
    const hi = Math.max(1.2, ...dydx, Math.min(4, Math.max(...y)));
    new Plot(canvas, { x: [-4, 4], y: [lo, hi], xLabel: 'x', title: a.title })
      .axes()
      .line([-4, 4], [0, 0], COLORS.grey, { width: 1 })
      .line(XS, y, COLORS.blue, { width: 2 })
      .line(XS, dydx, COLORS.orange, { dash: [5, 3] })
      .legend([
        { label: 'f(x)', color: COLORS.blue },
        { label: 'f′(x)', color: COLORS.orange, dash: true },
      ]);
    caption.textContent = `${a.formula}. Max |GPU − float64|: f ${errF.toExponential(1)}, f′ ${errD.toExponential(1)}.`;
  }
  await ctx.sync();
  window.__demo = { adapter: ctx.adapter.name, activations: results };
  document.body.dataset.ready = '1';
}

main().catch((e: Error) => {
  const s = document.getElementById('status')!;
  s.className = 'bad';
  s.textContent = e.message;
  document.body.dataset.error = e.message;
  document.body.dataset.ready = 'error';
  console.error(e);
});
