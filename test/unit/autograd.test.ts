// Autograd on composite graphs, checked in float64: the gradients the transform builds,
// evaluated with the references, against central finite differences of the forward graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, type Value } from '../../src/graph/graph';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { planBuffers } from '../../src/graph/plan';
import { assertClose } from '../harness/assert';
import { Rng } from '../../src/util/prng';
import { ShapeError } from '../../src/util/errors';

function init(seed: number, scale = 0.5): (n: number) => Float32Array {
  const r = new Rng(seed);
  return (n) => Float32Array.from({ length: n }, () => r.uniform(-scale, scale));
}

/** Check every gradient in `wrt` against central differences of the loss in float64. */
function checkGrads(
  g: Graph,
  loss: Value,
  wrt: Value[],
  feeds: Record<string, ArrayLike<number>>,
  tol = { atol: 1e-6, rtol: 1e-5 },
): void {
  const grads = gradients(g, loss, wrt);
  const base: Record<string, Float64Array> = {};
  for (const [name, p] of g.params) base[name] = Float64Array.from((p.node.attrs as { init: Float32Array }).init);
  const env = evaluate(g, [loss, ...grads], feeds, base);
  const eps = 1e-6;
  wrt.forEach((w, wi) => {
    const name = w.name;
    const got = env.get(grads[wi]!)!;
    const num = new Float64Array(w.size);
    for (let i = 0; i < w.size; i++) {
      const p = { ...base, [name]: Float64Array.from(base[name]!) };
      p[name]![i]! += eps;
      const fp = evaluate(g, [loss], feeds, p).get(loss)![0]!;
      p[name]![i]! -= 2 * eps;
      const fm = evaluate(g, [loss], feeds, p).get(loss)![0]!;
      num[i] = (fp - fm) / (2 * eps);
    }
    assertClose(got, num, tol, `d loss / d ${name}`);
  });
}

test('an MLP (linear, tanh, linear, sigmoid, mean) has finite-difference gradients', () => {
  const g = new Graph();
  const x = g.input('x', [5, 3]);
  const w1 = g.param('w1', [3, 4], init(1));
  const b1 = g.param('b1', [4], init(2));
  const w2 = g.param('w2', [4, 2], init(3));
  const b2 = g.param('b2', [2], init(4));
  const h = g.op('unary', [g.op('linear', [x, w1, b1], {})], { op: 'tanh' });
  const y = g.op('unary', [g.op('linear', [h, w2, b2], {})], { op: 'sigmoid' });
  const loss = g.op('mean_last', [g.op('reshape', [y], { shape: [1, 10] })], {});
  const xs = Float64Array.from({ length: 15 }, (_, i) => Math.sin(i));
  checkGrads(g, loss, [w1, b1, w2, b2], { x: xs });
});

test('a pre-LN transformer block (layernorm, attention, GELU MLP, residuals) has finite-difference gradients', () => {
  const [B, T, H, d] = [1, 3, 2, 4];
  const C = H * d;
  const g = new Graph();
  const x = g.input('x', [B * T, C]);
  const lnG = g.param('ln.g', [C], (n) => Float32Array.from({ length: n }, (_, i) => 1 + 0.1 * Math.cos(i)));
  const lnB = g.param('ln.b', [C], init(5, 0.1));
  const wq = g.param('wq', [C, C], init(6));
  const wk = g.param('wk', [C, C], init(7));
  const wv = g.param('wv', [C, C], init(8));
  const w1 = g.param('w1', [C, 2 * C], init(9));
  const b1 = g.param('b1', [2 * C], init(10, 0.1));
  const [hN] = g.apply('layernorm', [x, lnG, lnB], { eps: 1e-5 });
  const heads = (v: Value): Value =>
    g.op('permute', [g.op('reshape', [v], { shape: [B, T, H, d] })], { perm: [0, 2, 1, 3] });
  const q = heads(g.op('matmul', [hN!, wq], {}));
  const k = heads(g.op('matmul', [hN!, wk], {}));
  const v = heads(g.op('matmul', [hN!, wv], {}));
  const [att] = g.apply('attention', [q, k, v], { causal: true });
  const merged = g.op('reshape', [g.op('permute', [att!], { perm: [0, 2, 1, 3] })], { shape: [B * T, C] });
  const r1 = g.op('binary', [x, merged], { op: 'add' });
  const m = g.op('unary', [g.op('linear', [r1, w1, b1], {})], { op: 'gelu' });
  const out = g.op('sum_last', [m], {});
  const loss = g.op(
    'mean_last',
    [g.op('reshape', [g.op('binary', [out, out], { op: 'mul' })], { shape: [1, B * T] })],
    {},
  );
  const xs = Float64Array.from({ length: B * T * C }, (_, i) => Math.cos(0.7 * i));
  checkGrads(g, loss, [lnG, lnB, wq, wk, wv, w1, b1], { x: xs }, { atol: 1e-6, rtol: 1e-4 });
});

test('a value used twice (tied weights) accumulates both gradients', () => {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const w = g.param('w', [3, 3], init(11));
  const y = g.op('matmul', [g.op('matmul', [x, w], {}), w], {});
  const loss = g.op('mean_last', [g.op('reshape', [y], { shape: [1, 6] })], {});
  checkGrads(g, loss, [w], { x: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6] });
});

test('stop_gradient blocks the gradient; an unused parameter gets zeros', () => {
  const g = new Graph();
  const w = g.param('w', [1, 2], Float32Array.of(1, 2));
  const u = g.param('u', [1, 2], Float32Array.of(3, 4));
  const y = g.op('binary', [w, g.op('stop_gradient', [w], {})], { op: 'mul' });
  const loss = g.op('sum_last', [g.op('reshape', [y], { shape: [1, 2] })], {});
  const [dw, du] = gradients(g, g.op('reshape', [loss], { shape: [1] }), [w, u]);
  const env = evaluate(g, [dw!, du!], {});
  assert.deepEqual([...env.get(dw!)!], [1, 2]); // d(w·sg(w))/dw = sg(w)
  assert.deepEqual([...env.get(du!)!], [0, 0]);
});

test('shape errors name the op and both shapes when the node is added', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [4, 5]);
  assert.throws(
    () => g.op('matmul', [a, b], {}),
    (e: Error) => e instanceof ShapeError && /matmul: inner dimensions differ: a \[2, 3\] · b \[4, 5\]/.test(e.message),
  );
  assert.throws(
    () => g.op('binary', [a, b], { op: 'add' }),
    (e: Error) => e instanceof ShapeError && /add: shapes \[2, 3\] and \[4, 5\] do not broadcast/.test(e.message),
  );
  assert.throws(() => g.op('reshape', [a], { shape: [7] }), /reshape: cannot reshape \[2, 3\] \(6 elements\) to \[7\]/);
});

test('the buffer plan reuses slots: fewer bytes than one buffer per value, never an input shared with its output', () => {
  const g = new Graph();
  let h = g.input('x', [64, 64]);
  const w = g.param('w', [64, 64], init(12));
  for (let i = 0; i < 6; i++) h = g.op('unary', [g.op('matmul', [h, w], {})], { op: 'tanh' });
  const loss = g.op('mean_last', [g.op('reshape', [h], { shape: [1, 64 * 64] })], {});
  const [dw] = gradients(g, loss, [w]);
  const plan = planBuffers(g, [loss, dw!]);
  assert.ok(plan.plannedBytes < plan.naiveBytes / 2, `planned ${plan.plannedBytes} vs naive ${plan.naiveBytes}`);
  for (const n of plan.order) {
    if (n.op === 'reshape') continue; // a view shares its source's slot by design
    for (const o of n.outputs) {
      const so = plan.slotOf.get(o);
      if (so === undefined) continue;
      for (const i of n.inputs) assert.notEqual(plan.slotOf.get(i), so, `${n.op} writes the slot it reads`);
    }
  }
});
