// The attention reference: backward is the vector-Jacobian product of forward (central finite
// differences), with and without masks, Tq ≠ Tk, and rows that see no key at all.
import { test } from 'node:test';
import {
  attentionForward,
  attentionBackward,
  type AttentionShape,
  type AttentionMask,
} from '../../src/reference/attention';
import { numericGrad, dot, toF64 } from '../harness/fd';
import { assert, assertClose } from '../harness/assert';
import { randomArray } from '../../src/util/prng';

const FD_TOL = { atol: 1e-7, rtol: 1e-6 }; // central differences at eps=1e-6 in float64

function checkGrads(s: AttentionShape, m: AttentionMask, seed: number): void {
  const nq = s.B * s.H * s.Tq * s.d;
  const nk = s.B * s.H * s.Tk * s.d;
  const q = toF64(randomArray(nq, seed, -2, 2));
  const k = toF64(randomArray(nk, seed + 1, -2, 2));
  const v = toF64(randomArray(nk, seed + 2, -2, 2));
  const dout = toF64(randomArray(nq, seed + 3, -1, 1));
  const g = attentionBackward(dout, q, k, v, s, m);
  assertClose(
    g.dq,
    numericGrad((x) => dot(attentionForward(x, k, v, s, m).out, dout), q),
    FD_TOL,
    'dq',
  );
  assertClose(
    g.dk,
    numericGrad((x) => dot(attentionForward(q, x, v, s, m).out, dout), k),
    FD_TOL,
    'dk',
  );
  assertClose(
    g.dv,
    numericGrad((x) => dot(attentionForward(q, k, x, s, m).out, dout), v),
    FD_TOL,
    'dv',
  );
}

test('attention reference backward matches finite differences (no mask)', () => {
  checkGrads({ B: 2, H: 2, Tq: 5, Tk: 5, d: 3 }, {}, 1);
});

test('attention reference backward matches finite differences (causal, Tq ≠ Tk, custom scale)', () => {
  checkGrads({ B: 1, H: 2, Tq: 4, Tk: 6, d: 3 }, { causal: true }, 11);
  checkGrads({ B: 1, H: 1, Tq: 6, Tk: 4, d: 2 }, { causal: true, scale: 0.7 }, 21);
});

test('attention reference backward matches finite differences (key padding, a fully padded batch)', () => {
  checkGrads({ B: 3, H: 2, Tq: 4, Tk: 5, d: 3 }, { kvLen: [5, 2, 0] }, 31);
  checkGrads({ B: 2, H: 1, Tq: 5, Tk: 5, d: 2 }, { kvLen: [3, 0], causal: true }, 41);
});

test('attention reference: rows that see no key give zeros, −∞ logsumexp and zero gradients', () => {
  const s = { B: 2, H: 1, Tq: 3, Tk: 3, d: 2 };
  const m = { kvLen: [2, 0] };
  const q = randomArray(12, 5),
    k = randomArray(12, 6),
    v = randomArray(12, 7),
    dout = randomArray(12, 8);
  const f = attentionForward(q, k, v, s, m);
  const g = attentionBackward(dout, q, k, v, s, m);
  for (let i = 6; i < 12; i++)
    assert(f.out[i] === 0 && g.dq[i] === 0 && g.dk[i] === 0 && g.dv[i] === 0, `batch 1 element ${i} not zero`);
  for (let i = 3; i < 6; i++) assert(f.lse[i] === -Infinity, `lse[${i}] = ${f.lse[i]}, want −∞`);
  // batch 0: key 2 is padding, so it gets no gradient
  for (const i of [4, 5]) assert(g.dk[i] === 0 && g.dv[i] === 0, `padded key grad at ${i} not zero`);
});
