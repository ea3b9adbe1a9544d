// Float64 reference of shaders/elementwise.wgsl: unary activations with their backward, and
// NumPy-broadcasting binary arithmetic whose backward sums over broadcast axes back to each
// input's shape.
//
// NaN rule (the GPU kernels match it): a NaN input gives a NaN output for every op, including
// relu, leaky_relu, step (whose branches would otherwise swallow it). In backward, f'(NaN) is
// NaN, so dx = dy·f'(s) is NaN where the saved value s is NaN (also for relu and step).
import { broadcastShapes, broadcastStrides, numel, type Shape } from '../util/shape';
import { sumToShape } from './reduce';
import { erfc } from './erf';

export type UnaryOp =
  'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'relu' | 'leaky_relu' | 'elu' | 'gelu' | 'gelu_erf' | 'step' | 'affine';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** Scalar parameters: leaky_relu slope = alpha, elu alpha = alpha, affine y = alpha·x + beta. */
export interface UnaryParams {
  alpha?: number;
  beta?: number;
}

/** What each unary backward reads besides dy: the input x, the output y, or nothing. */
export const UNARY_SAVES: Record<UnaryOp, 'x' | 'y' | 'none'> = {
  exp: 'y',
  log: 'x',
  sqrt: 'y',
  tanh: 'y',
  sigmoid: 'y',
  relu: 'y',
  leaky_relu: 'x',
  elu: 'x',
  gelu: 'x',
  gelu_erf: 'x',
  step: 'x',
  affine: 'none',
};

/** Default alpha per op (leaky_relu slope 0.01, elu alpha 1, affine identity). */
export const UNARY_DEFAULTS: Record<UnaryOp, { alpha: number; beta: number }> = {
  exp: { alpha: 0, beta: 0 },
  log: { alpha: 0, beta: 0 },
  sqrt: { alpha: 0, beta: 0 },
  tanh: { alpha: 0, beta: 0 },
  sigmoid: { alpha: 0, beta: 0 },
  relu: { alpha: 0, beta: 0 },
  leaky_relu: { alpha: 0.01, beta: 0 },
  elu: { alpha: 1, beta: 0 },
  gelu: { alpha: 0, beta: 0 },
  gelu_erf: { alpha: 0, beta: 0 },
  step: { alpha: 0, beta: 0 },
  affine: { alpha: 1, beta: 0 },
};

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

// Exact GELU, x·Φ(x), Φ the standard normal CDF = ½·erfc(−x/√2) (erfc keeps the left tail's
// relative precision, where ½(1 + erf) would cancel); φ the standard normal density.
const normalCdf = (x: number): number => 0.5 * erfc(-x * Math.SQRT1_2);
const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

function f(op: UnaryOp, x: number, a: number, b: number): number {
  if (Number.isNaN(x)) return NaN;
  switch (op) {
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'leaky_relu':
      return x > 0 ? x : a * x;
    case 'elu':
      return x > 0 ? x : a * Math.expm1(x);
    case 'gelu':
      return 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
    case 'gelu_erf': {
      // ½x(1 + erf(x/√2)); 0 where Φ underflows (x < −38), as the kernel (no −∞·0)
      const c = normalCdf(x);
      return c === 0 ? 0 : x * c;
    }
    case 'step':
      return x >= 0 ? 1 : 0;
    case 'affine':
      return a * x + b;
  }
}

// f'(·) written in terms of the saved value s (x or y as UNARY_SAVES says)
function df(op: UnaryOp, s: number, a: number): number {
  if (Number.isNaN(s)) return NaN;
  switch (op) {
    case 'exp':
      return s; // d e^x = e^x = y
    case 'log':
      return 1 / s; // d log x = 1/x
    case 'sqrt':
      return 0.5 / s; // d √x = 1/(2y)
    case 'tanh':
      return 1 - s * s; // d tanh = 1 − y²
    case 'sigmoid':
      return s * (1 - s); // d σ = y(1 − y)
    case 'relu':
      return s > 0 ? 1 : 0; // y > 0 ⇔ x > 0; 0 at x = 0
    case 'leaky_relu':
      return s > 0 ? 1 : a; // slope at x ≤ 0
    case 'elu':
      return s > 0 ? 1 : a * Math.exp(s); // α·e^x at x ≤ 0
    case 'gelu': {
      // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x(1 − tanh² u)·u',  u = k(x + c x³)
      const t = Math.tanh(GELU_K * (s + GELU_C * s * s * s));
      return 0.5 * (1 + t) + 0.5 * s * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * s * s);
    }
    case 'gelu_erf': {
      // d xΦ(x) = Φ(x) + xφ(x)
      const p = normalPdf(s);
      return normalCdf(s) + (p === 0 ? 0 : s * p);
    }
    case 'step':
      return 0; // flat everywhere (undefined at 0, taken as 0)
    case 'affine':
      return a;
  }
}

// x is (n); y = f(x)
export function unaryForward(op: UnaryOp, x: ArrayLike<number>, p: UnaryParams = {}): Float64Array {
  const a = p.alpha ?? UNARY_DEFAULTS[op].alpha;
  const b = p.beta ?? UNARY_DEFAULTS[op].beta;
  return Float64Array.from({ length: x.length }, (_, i) => f(op, x[i]!, a, b));
}

// dx = dy · f'(s), s the saved x or y (UNARY_SAVES[op]; ignored for affine)
export function unaryBackward(
  op: UnaryOp,
  dy: ArrayLike<number>,
  saved: ArrayLike<number> | null,
  p: UnaryParams = {},
): Float64Array {
  const a = p.alpha ?? UNARY_DEFAULTS[op].alpha;
  return Float64Array.from({ length: dy.length }, (_, i) => dy[i]! * df(op, saved ? saved[i]! : 0, a));
}

function apply(op: BinaryOp, u: number, v: number): number {
  switch (op) {
    case 'add':
      return u + v;
    case 'sub':
      return u - v;
    case 'mul':
      return u * v;
    case 'div':
      return u / v;
  }
}

/** Visit every output index with the matching flat indices of a and b. */
function forEachBroadcast(aShape: Shape, bShape: Shape, fn: (i: number, ia: number, ib: number) => void): number[] {
  const out = broadcastShapes('reference', aShape, bShape);
  const sa = broadcastStrides(aShape, out);
  const sb = broadcastStrides(bShape, out);
  const n = numel(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const c = rem % out[d]!;
      rem = Math.floor(rem / out[d]!);
      ia += c * sa[d]!;
      ib += c * sb[d]!;
    }
    fn(i, ia, ib);
  }
  return out;
}

// a is aShape, b is bShape, out is broadcast(aShape, bShape); out = a ∘ b
export function binaryForward(
  op: BinaryOp,
  a: ArrayLike<number>,
  aShape: Shape,
  b: ArrayLike<number>,
  bShape: Shape,
): { out: Float64Array; shape: number[] } {
  const shape = broadcastShapes('reference', aShape, bShape);
  const out = new Float64Array(numel(shape));
  forEachBroadcast(aShape, bShape, (i, ia, ib) => (out[i] = apply(op, a[ia]!, b[ib]!)));
  return { out, shape };
}

// da = Σ_broadcast dy·∂out/∂a, db likewise: add (1, 1), sub (1, −1), mul (b, a), div (1/b, −a/b²)
export function binaryBackward(
  op: BinaryOp,
  dy: ArrayLike<number>,
  a: ArrayLike<number>,
  aShape: Shape,
  b: ArrayLike<number>,
  bShape: Shape,
): { da: Float64Array; db: Float64Array } {
  const n = dy.length;
  const gaFull = new Float64Array(n);
  const gbFull = new Float64Array(n);
  const shape = forEachBroadcast(aShape, bShape, (i, ia, ib) => {
    const g = dy[i]!;
    const u = a[ia]!;
    const v = b[ib]!;
    switch (op) {
      case 'add':
        gaFull[i] = g;
        gbFull[i] = g;
        break;
      case 'sub':
        gaFull[i] = g;
        gbFull[i] = -g;
        break;
      case 'mul':
        gaFull[i] = g * v;
        gbFull[i] = g * u;
        break;
      case 'div':
        gaFull[i] = g / v;
        gbFull[i] = (-g * u) / (v * v);
        break;
    }
  });
  return { da: sumToShape(gaFull, shape, aShape), db: sumToShape(gbFull, shape, bShape) };
}
