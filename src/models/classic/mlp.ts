// Two lessons on small multilayer models, trained on the GPU through the Trainer (autograd,
// optimizer and all in one compiled step):
//
// * XOR with an MLP: 2 inputs → 2 tanh units → 1 sigmoid output, binary cross-entropy, Adam,
//   full batch (the four examples). A single perceptron cannot separate XOR (perceptron.ts);
//   one hidden layer can. A second, forward-only graph over a grid evaluates the decision
//   surface with the learned weights.
// * Gradient descent on y = a·x for the lesson's data x = 0..4, y = 4x, from a = 2, squared
//   error: L(a) = mean((a·x − y)²), dL/da = 12·(a − 4), so plain SGD shrinks a − 4 by the
//   factor (1 − 12η) per step: it converges for η < 1/6 (default η = 0.02: ×0.76 per step).
import type { GpuContext } from '../../gpu/device';
import { Graph, type Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { Linear, activation, Rng } from '../../nn/layers';
import { Trainer } from '../../optim/trainer';
import type { CheckpointFiles } from '../../io/checkpoint';
import { LINE_FIT_DEFAULTS, MLP_DEFAULTS } from './defaults';
import type { TrainHooks } from '../hooks';

export const XOR_X: readonly number[] = [0, 0, 0, 1, 1, 0, 1, 1];
export const XOR_T: readonly number[] = [0, 1, 1, 0];

/**
 * Mean binary cross-entropy of logits z against targets t (same shape), composed from graph ops
 * on the logit rather than on σ(z), so it never takes log(0) and needs no clamping:
 *   BCE(z, t) = −[t·log σ(z) + (1 − t)·log(1 − σ(z))] = relu(z) − z·t + log(1 + e^{−|z|})
 * with |z| = relu(z) + relu(−z). Its gradient is σ(z) − t, as it should be.
 */
export function bceWithLogits(g: Graph, z: Value, t: Value): Value {
  const un = (v: Value, op: 'relu' | 'exp' | 'log', alpha?: number): Value => activation(g, op, v, alpha);
  const affine = (v: Value, alpha: number, beta: number): Value => g.op('unary', [v], { op: 'affine', alpha, beta });
  const bin = (op: 'add' | 'sub' | 'mul', a: Value, b: Value): Value => g.op('binary', [a, b], { op });
  const abs = bin('add', un(z, 'relu'), un(affine(z, -1, 0), 'relu'));
  const softplusNegAbs = un(affine(un(affine(abs, -1, 0), 'exp'), 1, 1), 'log'); // log(1 + e^{−|z|})
  const per = bin('add', bin('sub', un(z, 'relu'), bin('mul', z, t)), softplusNegAbs);
  return g.op('mean_last', [g.op('reshape', [per], { shape: [1, per.size] })], {});
}

/** Defaults: MLP_DEFAULTS. */
export interface XorMlpOptions {
  /** Seed of the initial weights. */
  seed?: number;
  /** Adam learning rate. */
  lr?: number;
  hidden?: number;
}

/** The MLP's forward graph on `rows` inputs: logits and σ(logits), parameters named hidden.* and out.*. */
export function buildXorMlp(rows: number, o: XorMlpOptions = {}): { g: Graph; x: Value; logits: Value; prob: Value } {
  const g = new Graph();
  const rng = new Rng(o.seed ?? MLP_DEFAULTS.seed);
  const hidden = o.hidden ?? MLP_DEFAULTS.hidden;
  const x = g.input('x', [rows, 2]);
  const h = activation(g, 'tanh', new Linear(g, 'hidden', 2, hidden, rng).forward(x));
  const logits = new Linear(g, 'out', hidden, 1, rng).forward(h);
  return { g, x, logits, prob: activation(g, 'sigmoid', logits) };
}

export interface XorStep {
  step: number;
  loss: number;
  /** σ(z) for the four examples (before this step's update). */
  probs: number[];
  accuracy: number;
}

export function xorAccuracy(probs: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < XOR_T.length; i++) if ((probs[i]! >= 0.5 ? 1 : 0) === XOR_T[i]) right++;
  return right / XOR_T.length;
}

export class XorMlp {
  /** The forward-only grid graph, compiled on first use of surface(n) (again if n changes). */
  private surfaceEx: Executor | null = null;
  private surfaceProb: Value | null = null;
  private surfaceN = 0;
  private constructor(
    readonly ctx: GpuContext,
    readonly trainer: Trainer,
    readonly prob: Value,
    readonly o: XorMlpOptions,
  ) {}

  static async create(ctx: GpuContext, o: XorMlpOptions = {}): Promise<XorMlp> {
    const { g, logits, prob } = buildXorMlp(4, o);
    const t = g.input('t', [4, 1]);
    const loss = bceWithLogits(g, logits, t);
    const d = MLP_DEFAULTS;
    const config = {
      model: 'mlp',
      task: 'xor',
      hidden: o.hidden ?? d.hidden,
      seed: o.seed ?? d.seed,
      lr: o.lr ?? d.lr,
    };
    const trainer = await Trainer.create(ctx, g, loss, { kind: 'adam', lr: o.lr ?? d.lr }, { outputs: [prob], config });
    return new XorMlp(ctx, trainer, prob, o);
  }

  /** One full-batch Adam step; the loss and probabilities are those before the update. */
  async step(): Promise<XorStep> {
    const [loss, probs] = await this.trainer.run({ x: XOR_X, t: XOR_T }, [this.trainer.loss, this.prob]);
    const p = Array.from(probs!);
    return { step: this.trainer.step, loss: loss![0]!, probs: p, accuracy: xorAccuracy(p) };
  }

  /** The learned parameters by name (hidden.weight (2,H), hidden.bias, out.weight (H,1), out.bias). */
  async weights(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const p of this.trainer.params) out[p.name] = Array.from(await this.trainer.executor.read(p));
    return out;
  }

  /**
   * σ(z) on an n×n grid over [lo, hi]² (row-major, row = x2 from lo to hi, column = x1), from
   * a forward-only graph compiled once and fed the current weights.
   */
  async surface(n = 41, lo = -0.5, hi = 1.5): Promise<Float32Array> {
    if (!this.surfaceEx || this.surfaceN !== n) {
      this.surfaceEx?.destroy();
      const f = buildXorMlp(n * n, this.o);
      this.surfaceEx = await Executor.compile(this.ctx, f.g, { outputs: [f.prob], label: 'xor.surface' });
      this.surfaceN = n;
      this.surfaceProb = f.prob;
    }
    const ex = this.surfaceEx;
    for (const [name, data] of Object.entries(await this.weights())) ex.write(name, data);
    const grid = new Float32Array(2 * n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        grid[2 * (r * n + c)] = lo + ((hi - lo) * c) / (n - 1);
        grid[2 * (r * n + c) + 1] = lo + ((hi - lo) * r) / (n - 1);
      }
    }
    ex.write('x', grid);
    const [p] = await ex.step({ read: [this.surfaceProb!] });
    return p as Float32Array;
  }

  save(progress: Record<string, number | string> = {}): Promise<CheckpointFiles> {
    return this.trainer.save(progress);
  }

  destroy(): void {
    this.surfaceEx?.destroy();
    this.trainer.destroy();
  }
}

/** onProgress after every step (awaited); shouldStop polled after each. Defaults: MLP_DEFAULTS. */
export interface XorRunOptions extends XorMlpOptions, TrainHooks<XorStep> {
  /** Most steps. */
  steps?: number;
  /** Stop once all four are right and the loss is below this (0 never stops early). */
  stopLoss?: number;
}

/**
 * Train the XOR MLP (`model`, else a new one from the options); returns the model (the caller
 * destroys it) and the per-step history.
 */
export async function trainXor(
  ctx: GpuContext,
  o: XorRunOptions = {},
  model?: XorMlp,
): Promise<{ model: XorMlp; history: XorStep[] }> {
  const m = model ?? (await XorMlp.create(ctx, o));
  const history: XorStep[] = [];
  const stopLoss = o.stopLoss ?? MLP_DEFAULTS.stopLoss;
  try {
    for (let i = 0; i < (o.steps ?? MLP_DEFAULTS.steps); i++) {
      const s = await m.step();
      history.push(s);
      await o.onProgress?.(s);
      if ((s.accuracy === 1 && s.loss < stopLoss) || o.shouldStop?.()) break;
    }
  } catch (e) {
    if (!model) m.destroy();
    throw e;
  }
  return { model: m, history };
}

// ---- gradient descent on y = a·x ------------------------------------------------------------

export const LINE_X: readonly number[] = [0, 1, 2, 3, 4];
export const LINE_Y: readonly number[] = LINE_X.map((x) => 4 * x);

/** L(a) = mean((a·x − y)²) over x (n), y (n); a is the one parameter "a" (1). */
export function buildLineFit(
  a0: number = LINE_FIT_DEFAULTS.a0,
  n = LINE_X.length,
): { g: Graph; a: Value; loss: Value } {
  const g = new Graph();
  const x = g.input('x', [n]);
  const y = g.input('y', [n]);
  const a = g.param('a', [1], Float32Array.of(a0));
  const diff = g.op('binary', [g.op('binary', [x, a], { op: 'mul' }), y], { op: 'sub' });
  const sq = g.op('binary', [diff, diff], { op: 'mul' });
  return { g, a, loss: g.op('mean_last', [g.op('reshape', [sq], { shape: [1, n] })], {}) };
}

export interface LineStep {
  step: number;
  /** L(a) before the step. */
  loss: number;
  /** a after the step. */
  a: number;
}

/** onProgress after every step (awaited); shouldStop polled after each. Defaults: LINE_FIT_DEFAULTS. */
export interface LineFitOptions extends TrainHooks<LineStep> {
  a0?: number;
  /** Learning rate η (converges for η < 1/6). */
  lr?: number;
  steps?: number;
}

/** Plain gradient descent a ← a − η·dL/da on the GPU; returns one entry per step. */
export async function fitLine(ctx: GpuContext, o: LineFitOptions = {}): Promise<LineStep[]> {
  const d = LINE_FIT_DEFAULTS;
  const { g, a, loss } = buildLineFit(o.a0 ?? d.a0);
  const trainer = await Trainer.create(
    ctx,
    g,
    loss,
    { kind: 'sgd', lr: o.lr ?? d.lr },
    { config: { model: 'line', a0: o.a0 ?? d.a0 } },
  );
  const out: LineStep[] = [];
  try {
    for (let i = 0; i < (o.steps ?? d.steps); i++) {
      const [l, av] = await trainer.run({ x: LINE_X, y: LINE_Y }, [trainer.loss, a]);
      const s = { step: trainer.step, loss: l![0]!, a: av![0]! };
      out.push(s);
      await o.onProgress?.(s);
      if (o.shouldStop?.()) break;
    }
  } finally {
    trainer.destroy();
  }
  return out;
}
