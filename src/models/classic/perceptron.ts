// The course's perceptron lesson, trained on the GPU as one compiled graph per update:
//
//   z = x·w + b          (linear)        x (1, 2), w (2, 1), b (1)
//   y = step(z + tol)    (1 when z ≥ 0, up to f32 rounding: see ties below)
//   e = t − y            the error, −1, 0 or 1
//   w ← w + η·e·xᵀ,  b ← b + η·e
//
// The update is the `sgd` effect op (momentum 0) fed the hand-built "gradient" −e·xᵀ and −e:
// w − η·(−e·xᵀ) = w + η·e·xᵀ. Autograd is not used: step has no useful derivative, and the
// perceptron rule is not gradient descent on a loss of y. Online learning: one example per
// update (one submit), in the lesson's order (0,0), (0,1), (1,0), (1,1), epochs until an
// epoch makes no error. Every presentation is recorded (z, y, e and w, b after it).
//
// Ties matter here: in the lesson z lands exactly on 0 five times, and whether y is 1 there
// decides the rest of the run. In f32, sums of tenths miss 0 by ~1e-8 either way, so the
// threshold is z ≥ −tol (tol = 1e-6 by default, far below the 0.1 grid the lesson's z values
// lie on): the GPU then takes exactly the lesson's decisions. tol = 0 gives the raw f32 rule.
import type { GpuContext } from '../../gpu/device';
import { Graph, type Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { StepScalars } from '../../ops/optimizer';
import { buildCheckpoint, type CheckpointFiles } from '../../io/checkpoint';
import { PERCEPTRON_DEFAULTS as D } from './defaults';
import type { TrainHooks } from '../hooks';

export type Gate = 'and' | 'or' | 'nand' | 'xor';

/** The four inputs in the lesson's order. */
export const GATE_INPUTS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

export const GATE_TARGETS: Record<Gate, readonly number[]> = {
  and: [0, 0, 0, 1],
  or: [0, 1, 1, 1],
  nand: [1, 1, 1, 0],
  xor: [0, 1, 1, 0],
};

/** How far below 0 an f32 z may fall and still count as the tie z = 0. */
export const TIE_TOL = 1e-6;

/** Defaults: the lesson's numbers (PERCEPTRON_DEFAULTS). */
export interface PerceptronOptions {
  eta?: number;
  /** y = 1 when z ≥ −tol (default TIE_TOL). */
  tol?: number;
  w?: readonly [number, number];
  b?: number;
}

/** One presentation of one example: what the perceptron computed and the weights after it. */
export interface PerceptronUpdate {
  /** 1-based epoch and 0-based position in it. */
  epoch: number;
  index: number;
  x: [number, number];
  target: number;
  z: number;
  y: number;
  error: number;
  w: [number, number];
  b: number;
}

export interface PerceptronRun {
  gate: Gate;
  history: PerceptronUpdate[];
  /** Errors made in each epoch. */
  errorsPerEpoch: number[];
  epochs: number;
  /** An epoch made no error: every example is classified. */
  converged: boolean;
  w: [number, number];
  b: number;
}

/** The perceptron graph: inputs x (1,2) and t (1,1), params w (2,1) and b (1), the sgd update. */
export function buildPerceptronGraph(o: PerceptronOptions = {}): {
  g: Graph;
  z: Value;
  y: Value;
  e: Value;
  w: Value;
  b: Value;
} {
  const g = new Graph();
  const x = g.input('x', [1, 2]);
  const t = g.input('t', [1, 1]);
  const w = g.param('w', [2, 1], Float32Array.from(o.w ?? D.w));
  const b = g.param('b', [1], Float32Array.of(o.b ?? D.b));
  const z = g.op('linear', [x, w, b], {});
  const y = g.op('unary', [g.op('unary', [z], { op: 'affine', alpha: 1, beta: o.tol ?? TIE_TOL })], { op: 'step' });
  const e = g.op('binary', [t, y], { op: 'sub' });
  // "gradients" of the perceptron rule: −e·xᵀ (2,1) and −e (1)
  const neg = (v: Value): Value => g.op('unary', [v], { op: 'affine', alpha: -1, beta: 0 });
  const gw = neg(g.op('matmul', [x, e], { transA: true }));
  const gb = g.op('reshape', [neg(e)], { shape: [1] });
  const scalars = g.input('sgd.scalars', [4]);
  const sgd = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };
  for (const [p, grad] of [
    [w, gw],
    [b, gb],
  ] as const) {
    const buf = g.param(`${p.name}.momentum`, [...p.shape], new Float32Array(p.size), false);
    g.apply('sgd', [p, grad, buf, scalars], sgd);
  }
  return { g, z, y, e, w, b };
}

export class Perceptron {
  /** Updates done (one per example presented). */
  updates = 0;
  private constructor(
    readonly ex: Executor,
    readonly eta: number,
    private readonly v: ReturnType<typeof buildPerceptronGraph>,
  ) {}

  static async create(ctx: GpuContext, o: PerceptronOptions = {}): Promise<Perceptron> {
    const v = buildPerceptronGraph(o);
    const ex = await Executor.compile(ctx, v.g, { outputs: [v.z, v.y, v.e], label: 'perceptron' });
    return new Perceptron(ex, o.eta ?? D.eta, v);
  }

  /** Present one example: one submit computing z, y, e and updating w and b on the GPU. */
  async present(x: readonly [number, number], target: number): Promise<Omit<PerceptronUpdate, 'epoch' | 'index'>> {
    this.updates++;
    this.ex.write('x', Float32Array.from(x));
    this.ex.write('t', Float32Array.of(target));
    this.ex.write('sgd.scalars', StepScalars.values(this.eta, this.updates, 0.9, 0.999));
    // w and b are read after the update (the copies follow the step's dispatches)
    const [z, y, e, w, b] = await this.ex.step({ read: [this.v.z, this.v.y, this.v.e, this.v.w, this.v.b] });
    return { x: [x[0], x[1]], target, z: z![0]!, y: y![0]!, error: e![0]!, w: [w![0]!, w![1]!], b: b![0]! };
  }

  /** Current weights and bias. */
  async weights(): Promise<{ w: [number, number]; b: number }> {
    const w = await this.ex.readParam('w');
    const b = await this.ex.readParam('b');
    return { w: [w[0]!, w[1]!], b: b[0]! };
  }

  /** The three checkpoint files (parameters w, b; sgd state; progress). */
  async save(config: Record<string, string | number | boolean> = {}): Promise<CheckpointFiles> {
    const { w, b } = await this.weights();
    const zeros = (n: number): Float32Array => new Float32Array(n);
    return buildCheckpoint({
      params: { w: { shape: [2, 1], data: Float32Array.from(w) }, b: { shape: [1], data: Float32Array.of(b) } },
      optimizer: {
        name: 'sgd',
        slots: { w: { momentum: { shape: [2, 1], data: zeros(2) } }, b: { momentum: { shape: [1], data: zeros(1) } } },
        scalars: { step: this.updates },
      },
      config: { model: 'perceptron', eta: this.eta, ...config },
      progress: { step: this.updates },
    });
  }

  destroy(): void {
    this.ex.destroy();
  }
}

/** onProgress after every update (awaited: a page can redraw and yield); shouldStop polled after each. */
export interface PerceptronRunOptions extends PerceptronOptions, TrainHooks<PerceptronUpdate> {
  /** Stop after this many epochs even without convergence (default PERCEPTRON_DEFAULTS.maxEpochs). */
  maxEpochs?: number;
}

/** Online perceptron training on a gate until an epoch makes no error (or maxEpochs, or shouldStop). */
export async function runPerceptron(
  ctx: GpuContext,
  gate: Gate,
  o: PerceptronRunOptions = {},
  model?: Perceptron,
): Promise<PerceptronRun> {
  const p = model ?? (await Perceptron.create(ctx, o));
  const history: PerceptronUpdate[] = [];
  const errorsPerEpoch: number[] = [];
  const maxEpochs = o.maxEpochs ?? D.maxEpochs;
  try {
    let stopped = false;
    for (let epoch = 1; epoch <= maxEpochs && !stopped; epoch++) {
      let errors = 0;
      for (let i = 0; i < GATE_INPUTS.length && !stopped; i++) {
        const u = { epoch, index: i, ...(await p.present(GATE_INPUTS[i]!, GATE_TARGETS[gate][i]!)) };
        if (u.error !== 0) errors++;
        history.push(u);
        await o.onProgress?.(u);
        stopped = o.shouldStop?.() ?? false;
      }
      errorsPerEpoch.push(errors);
      if (errors === 0) break;
    }
    // a stopped run's last epoch may be partial: only a whole epoch without errors converges
    const whole = history.length % GATE_INPUTS.length === 0;
    const { w, b } = await p.weights();
    return {
      gate,
      history,
      errorsPerEpoch,
      epochs: errorsPerEpoch.length,
      converged: whole && errorsPerEpoch.at(-1) === 0,
      w,
      b,
    };
  } finally {
    if (!model) p.destroy();
  }
}

/** The step output for each of the four inputs under (w, b), on the host (for plots and checks). */
export function classify(w: readonly [number, number], b: number, tol = TIE_TOL): number[] {
  return GATE_INPUTS.map(([x1, x2]) => (x1 * w[0] + x2 * w[1] + b >= -tol ? 1 : 0));
}

/**
 * The lesson's rule in exact arithmetic, counting in units of η (so w, b must start on
 * multiples of η, as the lesson's do): the oracle for the GPU run.
 */
export function perceptronByHand(
  gate: Gate,
  maxEpochs: number = D.maxEpochs,
  o: PerceptronOptions = {},
): PerceptronRun {
  const eta = o.eta ?? D.eta;
  // work in units of η so the lesson's 0.1-steps are exact integers
  const toU = (v: number): number => Math.round(v / eta);
  let w: [number, number] = [toU((o.w ?? D.w)[0]), toU((o.w ?? D.w)[1])];
  let b = toU(o.b ?? D.b);
  const history: PerceptronUpdate[] = [];
  const errorsPerEpoch: number[] = [];
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    let errors = 0;
    GATE_INPUTS.forEach((x, index) => {
      const z = x[0] * w[0] + x[1] * w[1] + b;
      const y = z >= 0 ? 1 : 0;
      const target = GATE_TARGETS[gate][index]!;
      const error = target - y;
      w = [w[0] + error * x[0], w[1] + error * x[1]];
      b += error;
      if (error !== 0) errors++;
      history.push({
        epoch,
        index,
        x: [x[0], x[1]],
        target,
        z: z * eta,
        y,
        error,
        w: [w[0] * eta, w[1] * eta],
        b: b * eta,
      });
    });
    errorsPerEpoch.push(errors);
    if (errors === 0) break;
  }
  return {
    gate,
    history,
    errorsPerEpoch,
    epochs: errorsPerEpoch.length,
    converged: errorsPerEpoch.at(-1) === 0,
    w: [w[0] * eta, w[1] * eta],
    b: b * eta,
  };
}
