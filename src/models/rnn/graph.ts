// Recurrent language models as graphs, unrolled over T steps of one window (the GPU side lives
// in model.ts). Three cells, each built from matmul / linear, sigmoid / tanh and add / mul / sub:
//
//   rnn   h' = tanh(x·W_ih + h·W_hh + b)                             Elman (1990)
//   lstm  i, f, o = σ(x·W_i* + h·W_h* + b_*),  g = tanh(x·W_ig + h·W_hg + b_g)
//         c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')                    Hochreiter & Schmidhuber (1997),
//                                                                    forget gate: Gers et al. (2000)
//   gru   r, z = σ(x·W_i* + h·W_h* + b_*),  n = tanh(x·W_in + (r ⊙ h)·W_hn + b_n)
//         h' = z ⊙ h + (1 − z) ⊙ n = n + z ⊙ (h − n)                 Cho et al. (2014), eqs. 5–8
//
// then logits_t = h_t(top layer)·W_head + b_head and the loss is the mean over steps of the
// next-token cross-entropy. Layers stack: layer l > 0 reads layer l − 1's h_t as its x.
//
// Choices:
// * The token enters layer 0 as a one-hot row x_t (B, V) that the host writes (data.ts), so
//   x_t·W_ih is W_ih's row of that token: the classic formulation (Elman; Karpathy's
//   min-char-rnn), an embedding lookup in effect. As a matmul its backward is one matmul per
//   step; an `embedding` gather per step and gate would need a sort-based scatter for each.
// * One weight triple (W_ih, W_hh, b) per gate instead of one fused (·, 4H) matrix: the graph has
//   no op that slices columns, and per-gate matmuls need none.
// * Truncated BPTT with the state reset every window: each window starts from h = c = 0 and the
//   gradient flows back at most T steps. The step t = 0 therefore omits the h·W_hh terms (they
//   are zero). Windows are random, as the GPT's, so both models see the same T tokens of
//   context in training; generation (model.ts) carries the state on across any length.
// * Init as PyTorch's nn.RNN / LSTM / GRU: every weight and bias U(±1/√H), times `initScale`
//   (the gradient lesson's "small weights"); the LSTM forget-gate bias starts at `forgetBias`
//   (default 1, Jozefowicz et al. 2015), so early on the cell keeps most of its past.
import { Graph, type Value } from '../../graph/graph';
import { Rng } from '../../util/prng';
import { constant, uniform } from '../../nn/init';
import { InputError } from '../../util/errors';

export type RnnCell = 'rnn' | 'lstm' | 'gru';

/** The gates of each cell, in the order their parameters are created. */
export const CELL_GATES: Record<RnnCell, readonly string[]> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'g', 'o'],
  gru: ['r', 'z', 'n'],
};

export interface RnnConfig {
  cell: RnnCell;
  vocabSize: number;
  hidden: number;
  layers: number;
  /** Steps unrolled per window: the truncated-BPTT length. */
  block: number;
}

/** Initialisation knobs (the defaults are the training run's). */
export interface RnnInit {
  /** Multiplies the U(±1/√H) bound of every weight and bias (default 1). */
  initScale?: number;
  /** LSTM forget-gate bias at init (default 1). */
  forgetBias?: number;
}

/** Throws an InputError naming the field and the rule. */
export function checkRnnConfig(c: RnnConfig): void {
  if (!(c.cell in CELL_GATES)) throw new InputError(`rnn: cell must be rnn, lstm or gru, got ${String(c.cell)}`);
  for (const k of ['vocabSize', 'hidden', 'layers', 'block'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1)
      throw new InputError(`${c.cell}: ${k} must be a positive integer, got ${String(c[k])}`);
  }
}

/** Trainable parameters: per layer and gate W_ih (in, H), W_hh (H, H), b (H); the head (H, V) + (V). */
export function rnnParamCount(c: RnnConfig): number {
  const H = c.hidden;
  const G = CELL_GATES[c.cell].length;
  let n = c.hidden * c.vocabSize + c.vocabSize;
  for (let l = 0; l < c.layers; l++) n += G * ((l === 0 ? c.vocabSize : H) * H + H * H + H);
  return n;
}

export interface GateParams {
  wih: Value;
  whh: Value;
  bias: Value;
}

export interface RnnLayers {
  /** Per layer, the gate name → its weights. */
  cells: Record<string, GateParams>[];
  headWeight: Value;
  headBias: Value;
}

/** Create the parameters in a fixed order from `seed`: `cell.<l>.<gate>.weight_ih` … `head.weight`. */
export function rnnLayers(g: Graph, c: RnnConfig, seed: number, init: RnnInit = {}): RnnLayers {
  checkRnnConfig(c);
  const rng = new Rng(seed);
  const H = c.hidden;
  const bound = (init.initScale ?? 1) / Math.sqrt(H);
  const cells = Array.from({ length: c.layers }, (_, l) => {
    const gates: Record<string, GateParams> = {};
    for (const gate of CELL_GATES[c.cell]) {
      const name = `cell.${l}.${gate}`;
      const forget = c.cell === 'lstm' && gate === 'f';
      gates[gate] = {
        wih: g.param(`${name}.weight_ih`, [l === 0 ? c.vocabSize : H, H], uniform(rng, bound)),
        whh: g.param(`${name}.weight_hh`, [H, H], uniform(rng, bound)),
        bias: g.param(`${name}.bias`, [H], forget ? constant(init.forgetBias ?? 1) : uniform(rng, bound)),
      };
    }
    return gates;
  });
  const headWeight = g.param('head.weight', [H, c.vocabSize], uniform(rng, 1 / Math.sqrt(H)));
  const headBias = g.param('head.bias', [c.vocabSize], uniform(rng, 1 / Math.sqrt(H)));
  return { cells, headWeight, headBias };
}

/** A layer's state after a step: h (B, H) and, for the LSTM, the cell c (B, H). */
export interface CellState {
  h: Value;
  c: Value | null;
}

const bin = (g: Graph, op: 'add' | 'sub' | 'mul', a: Value, b: Value): Value => g.op('binary', [a, b], { op });
const act = (g: Graph, op: 'tanh' | 'sigmoid', x: Value): Value => g.op('unary', [x], { op });

/** x·W_ih + b (+ h·W_hh when there is a previous state). */
function preact(g: Graph, p: GateParams, x: Value, h: Value | null): Value {
  const xw = g.op('linear', [x, p.wih, p.bias], {});
  return h ? bin(g, 'add', xw, g.op('matmul', [h, p.whh], {})) : xw;
}

// Elman: h' = tanh(x·W_ih + h·W_hh + b)
function rnnStep(g: Graph, p: Record<string, GateParams>, x: Value, s: CellState | null): CellState {
  return { h: act(g, 'tanh', preact(g, p['h']!, x, s?.h ?? null)), c: null };
}

// LSTM: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')
function lstmStep(g: Graph, p: Record<string, GateParams>, x: Value, s: CellState | null): CellState {
  const h = s?.h ?? null;
  const [i, f, o] = (['i', 'f', 'o'] as const).map((k) => act(g, 'sigmoid', preact(g, p[k]!, x, h)));
  const cand = act(g, 'tanh', preact(g, p['g']!, x, h));
  const ig = bin(g, 'mul', i!, cand);
  const c = s?.c ? bin(g, 'add', bin(g, 'mul', f!, s.c), ig) : ig;
  return { h: bin(g, 'mul', o!, act(g, 'tanh', c)), c };
}

// GRU (Cho et al.): n = tanh(x·W_in + (r ⊙ h)·W_hn + b_n), h' = n + z ⊙ (h − n)
function gruStep(g: Graph, p: Record<string, GateParams>, x: Value, s: CellState | null): CellState {
  const h = s?.h ?? null;
  const z = act(g, 'sigmoid', preact(g, p['z']!, x, h));
  if (!h) {
    // h = 0: r has nothing to gate and h' = (1 − z) ⊙ n
    const n0 = act(g, 'tanh', preact(g, p['n']!, x, null));
    return { h: bin(g, 'sub', n0, bin(g, 'mul', z, n0)), c: null };
  }
  const r = act(g, 'sigmoid', preact(g, p['r']!, x, h));
  const n = act(g, 'tanh', preact(g, p['n']!, x, bin(g, 'mul', r, h)));
  return { h: bin(g, 'add', n, bin(g, 'mul', z, bin(g, 'sub', h, n))), c: null };
}

/** One step of `cell` (state null: the zero state). */
export function cellStep(
  g: Graph,
  cell: RnnCell,
  p: Record<string, GateParams>,
  x: Value,
  s: CellState | null,
): CellState {
  if (cell === 'lstm') return lstmStep(g, p, x, s);
  if (cell === 'gru') return gruStep(g, p, x, s);
  return rnnStep(g, p, x, s);
}

export interface RnnGraphOptions extends RnnInit {
  seed?: number;
  /** 'mean': the mean next-token loss over the T steps (training); 'last': step T only (the gradient lesson); 'none'. */
  loss?: 'mean' | 'last' | 'none';
  /** 'zero': every window starts from h = c = 0; 'input': from inputs h0.<l> (and c0.<l>), (B, H). */
  state?: 'zero' | 'input';
}

export interface RnnGraph {
  g: Graph;
  layers: RnnLayers;
  /** Logits (B, V) of each step. */
  logits: Value[];
  /** [1], unless loss: 'none'. */
  loss: Value | null;
  /** states[l][t]: layer l's state after step t. */
  states: CellState[][];
  B: number;
  T: number;
}

/** Feed names: the one-hot tokens of step t, their next-token targets, the initial state of layer l. */
export const feedName = {
  x: (t: number): string => `x.${t}`,
  y: (t: number): string => `y.${t}`,
  h0: (l: number): string => `h0.${l}`,
  c0: (l: number): string => `c0.${l}`,
};

/** The initial state of every layer: null (zeros) or inputs. */
function initialState(g: Graph, c: RnnConfig, B: number, o: RnnGraphOptions): (CellState | null)[] {
  return Array.from({ length: c.layers }, (_, l) =>
    o.state === 'input'
      ? {
          h: g.input(feedName.h0(l), [B, c.hidden]),
          c: c.cell === 'lstm' ? g.input(feedName.c0(l), [B, c.hidden]) : null,
        }
      : null,
  );
}

/** Sum of the per-step losses, times `scale`. */
function sumLosses(g: Graph, losses: Value[], scale: number): Value {
  let s = losses[0]!;
  for (let i = 1; i < losses.length; i++) s = bin(g, 'add', s, losses[i]!);
  return scale === 1 ? s : g.op('unary', [s], { op: 'affine', alpha: scale, beta: 0 });
}

/** The model unrolled over T steps on B rows: inputs x.<t> f32 (B, V) one-hot, y.<t> i32 (B). */
export function buildRnn(c: RnnConfig, B: number, T: number, o: RnnGraphOptions = {}): RnnGraph {
  const g = new Graph();
  const L = rnnLayers(g, c, o.seed ?? 1, o);
  let state = initialState(g, c, B, o);
  const states: CellState[][] = Array.from({ length: c.layers }, () => []);
  const logits: Value[] = [];
  const losses: Value[] = [];
  const lossMode = o.loss ?? 'mean';
  for (let t = 0; t < T; t++) {
    let x = g.input(feedName.x(t), [B, c.vocabSize]);
    state = state.map((s, l) => {
      const next = cellStep(g, c.cell, L.cells[l]!, x, s);
      states[l]!.push(next);
      x = next.h;
      return next;
    });
    const lt = g.op('linear', [x, L.headWeight, L.headBias], {});
    logits.push(lt);
    if (lossMode === 'mean' || (lossMode === 'last' && t === T - 1)) {
      const y = g.input(feedName.y(t), [B], 'i32');
      losses.push(g.apply('cross_entropy', [lt, y], { ignoreIndex: -1 })[0]!);
    }
  }
  const loss = losses.length ? sumLosses(g, losses, 1 / losses.length) : null;
  return { g, layers: L, logits, loss, states, B, T };
}
