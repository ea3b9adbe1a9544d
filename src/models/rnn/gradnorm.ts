// The vanishing-gradient lesson: how much of the loss at the last step of a window reaches the
// hidden state k steps earlier. For a window of T steps and the loss L_T of step T only,
//
//   g(k) = ‖∂L_T / ∂h_{T−k}‖₂,   k = 0 … T − 1,
//
// the total derivative through every later step (for the LSTM through c as well). In a vanilla
// RNN ∂h_t/∂h_{t−1} = diag(1 − h_t²)·W_hhᵀ, so g(k) shrinks like a product of k such factors
// (Bengio et al. 1994; Pascanu et al. 2013); the LSTM's cell path multiplies by the forget gates
// f_t instead (Hochreiter & Schmidhuber 1997), about σ(1) ≈ 0.73 per step with forget bias 1 at
// init and close to 1 once the model learns to keep its memory.
//
// Built in the graph (buildRnn with loss 'last', `gradients` w.r.t. the states) and evaluated in
// float64 with the op references on the CPU: the numbers are exact and need no GPU, for any
// weights (the initial ones, or a trained model's, passed in `params`).
import { gradients } from '../../graph/autograd';
import { evaluate } from '../../graph/reference';
import { Rng } from '../../util/prng';
import { buildRnn, type RnnConfig, type RnnInit } from './graph';
import { stepFeeds } from './data';

export interface GradNormOptions extends RnnInit {
  /** The model (its top layer's h is measured); block is unused: T below is the window. */
  config: RnnConfig;
  T: number;
  seed?: number;
  /** Weights by parameter name (default: the initial ones from `seed`, `initScale`, `forgetBias`). */
  params?: Record<string, ArrayLike<number>>;
  /** T + 1 tokens (inputs and the last target); default seeded random tokens. */
  tokens?: ArrayLike<number>;
}

export interface GradNormCurve {
  /** k = 0 … T − 1 steps back from the last. */
  k: number[];
  /** ‖∂L_T/∂h_{T−k}‖₂. */
  norm: number[];
  /** norm[k] / norm[0]. */
  ratio: number[];
  /** The mean factor per step back, (norm[T−1] / norm[0])^(1/(T−1)). */
  perStep: number;
}

/** g(k) for one window of `tokens` (or seeded random ones), batch 1, in float64. */
export function gradNormCurve(o: GradNormOptions): GradNormCurve {
  const { T } = o;
  const V = o.config.vocabSize;
  const m = buildRnn(o.config, 1, T, { ...o, seed: o.seed ?? 1, loss: 'last' });
  const top = m.states[o.config.layers - 1]!.map((s) => s.h);
  const grads = gradients(m.g, m.loss!, top);
  const rng = new Rng(o.seed ?? 1, 3);
  const tokens = o.tokens ? Int32Array.from(o.tokens) : Int32Array.from({ length: T + 1 }, () => rng.int(V));
  const feeds = stepFeeds({ ids: tokens.subarray(0, T), targets: tokens.subarray(1, T + 1) }, 1, T, V);
  const env = evaluate(m.g, grads, feeds, o.params ?? {});
  const normAt = (t: number): number => Math.hypot(...env.get(grads[t]!)!);
  const k = Array.from({ length: T }, (_, i) => i);
  const norm = k.map((i) => normAt(T - 1 - i));
  const ratio = norm.map((n) => n / norm[0]!);
  const perStep = T > 1 ? ratio[T - 1]! ** (1 / (T - 1)) : 1;
  return { k, norm, ratio, perStep };
}
