// The optimizer references against hand-computed steps, and their bias correction, weight decay
// and gradient scale checked one at a time. The optimizer has no backward, so no finite differences.
import { test } from 'node:test';
import {
  adamStep,
  adamSteps,
  biasCorrection,
  sgdStep,
  sgdSteps,
  type AdamConfig,
  type AdamState,
  type SgdConfig,
} from '../../src/reference/optimizer';
import { assert, assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

const EXACT = { atol: 1e-15, rtol: 1e-13 }; // float64 against decimals worked out by hand
const ADAMW: AdamConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true };

test('AdamW reference matches a hand-computed 2-step example', () => {
  // p0 = 1, g = 0.5 then −0.25, lr 0.1, wd 0.01.
  // t=1: p ← 1·(1 − 0.001) = 0.999; m = 0.05; v = 0.00025; m̂ = 0.05/0.1 = 0.5; v̂ = 0.00025/0.001 = 0.25
  //      p ← 0.999 − 0.1·0.5/(0.5 + 1e-8) = 0.89900000199999996
  // t=2: p ← 0.899000002·0.999; m = 0.9·0.05 − 0.1·0.25 = 0.02; v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
  //      m̂ = 0.02/0.19 = 0.105263157894737; v̂ = 0.00031225/0.001999 = 0.156203101550775 (√ = 0.395225380701664)
  //      p ← 0.898101001998 − 0.1·0.105263157894737/(0.395225380701664 + 1e-8) = 0.871467298705846
  const s1 = adamStep([1], [0.5], [0], [0], ADAMW, 0.1, 1);
  assertClose(s1.m, [0.05], EXACT, 'm after step 1');
  assertClose(s1.v, [0.00025], EXACT, 'v after step 1');
  assertClose(s1.p, [0.89900000199999996], EXACT, 'p after step 1');
  const s2 = adamStep(s1.p, [-0.25], s1.m, s1.v, ADAMW, 0.1, 2);
  assertClose(s2.m, [0.02], EXACT, 'm after step 2');
  assertClose(s2.v, [0.00031225], EXACT, 'v after step 2');
  assertClose(s2.p, [0.871467298705846162599], EXACT, 'p after step 2');
  const many = adamSteps([1], [[0.5], [-0.25]], ADAMW, () => 0.1);
  assertClose(many.p, s2.p, EXACT, 'adamSteps equals two adamStep calls');
});

test('Adam bias correction: 1 − β^t, a first step of size lr, m̂ = g under a constant gradient', () => {
  for (const [b, t] of [
    [0.9, 1],
    [0.999, 1],
    [0.999, 7],
    [0.9, 40],
  ] as const) {
    const want = 1 - b ** t;
    assert(
      Math.abs(biasCorrection(b, t) - want) <= 1e-15 * Math.max(1, t),
      `biasCorrection(${b}, ${t}) = ${biasCorrection(b, t)}, want ${want}`,
    );
  }
  // Step 1 with wd = 0: m̂ = g, v̂ = g², so p moves by lr·g/(|g| + eps) whatever the scale of g.
  const cfg: AdamConfig = { ...ADAMW, weightDecay: 0, eps: 0 };
  const g = Float64Array.from(randomArray(9, 3, -2, 2), (x, i) => x * 10 ** (i - 4));
  const p0 = new Float64Array(9).fill(0.5);
  const s = adamStep(p0, g, new Float64Array(9), new Float64Array(9), cfg, 0.01, 1);
  assertClose(
    s.p,
    Float64Array.from(g, (x) => 0.5 - 0.01 * Math.sign(x)),
    { atol: 1e-15, rtol: 1e-14 },
    'step-1 update',
  );
  // A constant gradient for 10 steps: m/(1 − β1^t) = g and v/(1 − β2^t) = g² at every t.
  let st: AdamState = { p: p0, m: new Float64Array(9), v: new Float64Array(9) };
  for (let t = 1; t <= 10; t++) {
    st = adamStep(st.p, g, st.m, st.v, cfg, 0.01, t);
    assertClose(
      Float64Array.from(st.m, (x) => x / biasCorrection(0.9, t)),
      g,
      { atol: 0, rtol: 1e-13 },
      `m̂ at t=${t}`,
    );
    assertClose(
      Float64Array.from(st.v, (x) => x / biasCorrection(0.999, t)),
      Float64Array.from(g, (x) => x * x),
      { atol: 0, rtol: 1e-12 },
      `v̂ at t=${t}`,
    );
  }
});

test('AdamW decays the weights multiplicatively; Adam adds wd·p to the gradient; wd = 0 makes them equal', () => {
  const p0 = Float64Array.from(randomArray(11, 5, -2, 2));
  const zero = new Float64Array(11);
  // Zero gradient, AdamW: m = v = 0, so only the decay acts: p_t = p0·(1 − lr·wd)^t.
  const w = adamSteps(p0, [zero, zero, zero], { ...ADAMW, weightDecay: 0.1 }, () => 0.05);
  assertClose(
    w.p,
    Float64Array.from(p0, (x) => x * (1 - 0.05 * 0.1) ** 3),
    { atol: 0, rtol: 1e-14 },
    'AdamW decay alone',
  );
  // Zero gradient, Adam (L2): g = wd·p, a normalised step of lr·sign(p) (eps = 0).
  const a = adamStep(p0, zero, zero, zero, { ...ADAMW, weightDecay: 0.1, eps: 0, decoupled: false }, 0.05, 1);
  assertClose(
    a.p,
    Float64Array.from(p0, (x) => x - 0.05 * Math.sign(x)),
    { atol: 1e-15, rtol: 1e-14 },
    'Adam L2 step 1',
  );
  assertClose(
    a.m,
    Float64Array.from(p0, (x) => 0.1 * 0.1 * x),
    { atol: 1e-17, rtol: 1e-14 },
    'Adam L2 feeds wd·p into m',
  );
  // wd = 0: the two are the same algorithm.
  const grads = [1, 2, 3].map((k) => randomArray(11, 20 + k, -1, 1));
  const c = adamSteps(p0, grads, { ...ADAMW, weightDecay: 0, decoupled: false }, (t) => 0.01 * t);
  const d = adamSteps(p0, grads, { ...ADAMW, weightDecay: 0, decoupled: true }, (t) => 0.01 * t);
  assertClose(c.p, d.p, { atol: 0, rtol: 0 }, 'Adam = AdamW at wd = 0');
});

test('SGD reference matches hand-computed momentum and Nesterov steps', () => {
  // p0 = 1, g = 0.5 then −0.25, lr 0.1, wd 0.01, momentum 0.9.
  // dampening 0.1: t=1: d = 0.51, buf = 0.51 (first step: buf = d), p = 0.949
  //                t=2: d = −0.25 + 0.00949 = −0.24051, buf = 0.9·0.51 + 0.9·d = 0.242541, p = 0.9247459
  const cfg: SgdConfig = { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01 };
  const s1 = sgdStep([1], [0.5], [123], cfg, 0.1, 1);
  assertClose(s1.buf, [0.51], EXACT, 'buf after step 1 ignores the old buffer');
  assertClose(s1.p, [0.949], EXACT, 'p after step 1');
  const s2 = sgdStep(s1.p, [-0.25], s1.buf, cfg, 0.1, 2);
  assertClose(s2.buf, [0.242541], EXACT, 'buf after step 2');
  assertClose(s2.p, [0.9247459], EXACT, 'p after step 2');
  // Nesterov, dampening 0: t=1: d = 0.51, buf = 0.51, step d + 0.9·buf = 0.969, p = 0.9031
  //   t=2: d = −0.25 + 0.009031 = −0.240969, buf = 0.459 + d = 0.218031, step = d + 0.9·buf = −0.0447411, p = 0.90757411
  const nest = sgdSteps([1], [[0.5], [-0.25]], { ...cfg, dampening: 0, nesterov: true }, () => 0.1);
  assertClose(nest.buf, [0.218031], EXACT, 'Nesterov buf');
  assertClose(nest.p, [0.90757411], EXACT, 'Nesterov p');
  // Momentum 0: plain p ← p − lr·(g + wd·p).
  const plain = sgdStep([1, -2], [0.5, 0.25], [0, 0], { ...cfg, momentum: 0, dampening: 0 }, 0.1, 3);
  assertClose(plain.p, [1 - 0.1 * 0.51, -2 - 0.1 * (0.25 - 0.02)], EXACT, 'plain SGD');
});

test('a gradient scale equals scaling the gradients first', () => {
  const p0 = randomArray(13, 7, -1, 1);
  const grads = [1, 2, 3, 4].map((k) => randomArray(13, 40 + k, -2, 2));
  const scaled = grads.map((g) => Float64Array.from(g, (x) => 0.37 * x));
  const tol = { atol: 1e-15, rtol: 1e-13 };
  for (const decoupled of [true, false]) {
    const cfg = { ...ADAMW, weightDecay: 0.1, decoupled };
    assertClose(
      adamSteps(p0, grads, cfg, () => 0.01, 0.37).p,
      adamSteps(p0, scaled, cfg, () => 0.01).p,
      tol,
      `adam decoupled=${decoupled}`,
    );
  }
  const sgd: SgdConfig = { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 };
  assertClose(sgdSteps(p0, grads, sgd, () => 0.1, 0.37).p, sgdSteps(p0, scaled, sgd, () => 0.1).p, tol, 'sgd');
});
