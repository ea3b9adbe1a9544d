// The perceptron and MLP lessons on the GPU: the perceptron rule on AND update by update
// against the lesson's hand calculation, its failure on XOR, the XOR MLP reaching 100% (its
// first steps against the float64 reference), and gradient descent on y = a·x against the
// closed form a_k = 4 − 2·(1 − 12η)^k.
import { test } from '../harness/gpu';
import { assert, assertClose, assertEqual } from '../harness/assert';
import {
  runPerceptron,
  perceptronByHand,
  classify,
  GATE_TARGETS,
  Perceptron,
} from '../../src/models/classic/perceptron';
import { parseCheckpoint } from '../../src/io/checkpoint';
import { trainXor, fitLine, buildXorMlp, XOR_X, XOR_T } from '../../src/models/classic/mlp';
import { evaluate } from '../../src/graph/reference';
import { StepScalars } from '../../src/ops/optimizer';

// f32 weights that are sums of tenths: 1e-6 is far below the 0.1 steps and far above f32 rounding
const TENTHS = { atol: 1e-6, rtol: 0 };

// The lesson's table for epoch 1 (η = 0.1, w = (0.3, −0.1), b = 0.2, step(z) = 1 when z ≥ 0).
const EPOCH1 = [
  { x: [0, 0], t: 0, z: 0.2, y: 1, e: -1, w: [0.3, -0.1], b: 0.1 },
  { x: [0, 1], t: 0, z: 0.0, y: 1, e: -1, w: [0.3, -0.2], b: 0.0 },
  { x: [1, 0], t: 0, z: 0.3, y: 1, e: -1, w: [0.2, -0.2], b: -0.1 },
  { x: [1, 1], t: 1, z: -0.1, y: 0, e: 1, w: [0.3, -0.1], b: 0.0 },
];

test('perceptron on AND: every update of epoch 1 equals the hand calculation', async ({ ctx }) => {
  const run = await runPerceptron(ctx, 'and', { maxEpochs: 1 });
  assertEqual(run.history.length, 4, 'updates in epoch 1');
  run.history.forEach((u, i) => {
    const want = EPOCH1[i]!;
    const what = `update ${i + 1} on x = (${want.x.join(', ')})`;
    assertEqual(u.target, want.t, `${what}: target`);
    assertClose([u.z], [want.z], TENTHS, `${what}: z`);
    assertEqual(u.y, want.y, `${what}: y`);
    assertEqual(u.error, want.e, `${what}: error`);
    assertClose([...u.w, u.b], [...want.w, want.b], TENTHS, `${what}: w1, w2, b after`);
  });
  assertClose([...run.w, run.b], [0.3, -0.1, 0], TENTHS, 'w, b at the end of epoch 1');
});

test('perceptron on AND converges; every update as in exact decimal arithmetic; the checkpoint holds w, b', async ({
  ctx,
}) => {
  const model = await Perceptron.create(ctx);
  const gpu = await runPerceptron(ctx, 'and', { maxEpochs: 50 }, model);
  const ck = parseCheckpoint(await model.save({ gate: 'and' }));
  model.destroy();
  assertClose(
    [...ck.params.w!.data, ...ck.params.b!.data],
    [...gpu.w, gpu.b],
    { atol: 0, rtol: 0 },
    'checkpoint w1, w2, b',
  );
  assertEqual(ck.progress.step, 28, 'checkpoint step (updates)');
  const exact = perceptronByHand('and', 50);
  assertEqual(
    gpu.history.length,
    exact.history.length,
    `updates (errors per epoch GPU ${gpu.errorsPerEpoch}, exact ${exact.errorsPerEpoch})`,
  );
  gpu.history.forEach((u, i) => {
    const want = exact.history[i]!;
    const what = `epoch ${u.epoch} update ${u.index + 1}`;
    assertEqual(u.y, want.y, `${what}: y (z = ${u.z}, exact ${want.z})`);
    assertClose([u.z, ...u.w, u.b], [want.z, ...want.w, want.b], TENTHS, `${what}: z, w1, w2, b`);
  });
  assert(gpu.converged, `AND is separable: errors per epoch ${gpu.errorsPerEpoch}`);
  assertEqual(gpu.epochs, 7, 'epochs until an epoch without error');
  assertEqual(classify(gpu.w, gpu.b).join(), GATE_TARGETS.and.join(), 'final classification');
  assertClose([...gpu.w, gpu.b], [0.2, 0.1, -0.3], TENTHS, 'final w1, w2, b');
});

test('a single perceptron never classifies all four XOR examples', async ({ ctx }) => {
  const run = await runPerceptron(ctx, 'xor', { maxEpochs: 25 });
  assertEqual(run.epochs, 25, 'epochs run');
  assert(!run.converged, 'XOR is not linearly separable');
  assert(
    run.errorsPerEpoch.every((e) => e >= 1),
    `every epoch makes an error: ${run.errorsPerEpoch}`,
  );
  // nor do the weights after any update classify all four
  for (const u of run.history)
    assert(classify(u.w, u.b).join() !== GATE_TARGETS.xor.join(), `update ${JSON.stringify(u)} separates XOR?`);
  assertEqual(
    run.errorsPerEpoch.join(),
    perceptronByHand('xor', 25).errorsPerEpoch.join(),
    'errors per epoch vs exact arithmetic',
  );
});

test('the XOR MLP (2-2-1 tanh, sigmoid, BCE, Adam) reaches 100% within 150 steps; first steps match float64', async ({
  ctx,
}) => {
  const { model, history } = await trainXor(ctx, { seed: 1, lr: 0.1, steps: 150 });
  try {
    const last = history.at(-1)!;
    assertEqual(last.accuracy, 1, `accuracy after ${history.length} steps (loss ${last.loss}, probs ${last.probs})`);
    assert(last.loss < 0.05, `loss ${last.loss}`);
    assert(history.length < 150, `stopped early at ${history.length}`);

    // the first 5 losses against the same graph (Adam included) evaluated in float64
    const g = model.trainer.graph;
    let state: Record<string, Float64Array> = {};
    for (const [n, p] of g.params) state[n] = Float64Array.from((p.node.attrs as { init: Float32Array }).init);
    for (let s = 1; s <= 5; s++) {
      const env = evaluate(
        g,
        [model.trainer.loss],
        { x: XOR_X, t: XOR_T, 'optimizer.scalars': StepScalars.values(0.1, s, 0.9, 0.999) },
        state,
      );
      assertClose(
        [history[s - 1]!.loss],
        env.get(model.trainer.loss)!,
        { atol: 1e-6, rtol: 1e-5 },
        `loss at step ${s}`,
      );
      state = Object.fromEntries([...g.params].map(([n, p]) => [n, env.get(p)!]));
    }

    // the decision surface (forward-only graph over a grid) against float64 with the learned weights
    const n = 9;
    const surface = await model.surface(n, -0.5, 1.5);
    const w = await model.weights();
    const f = buildXorMlp(n * n, { seed: 1 });
    const grid = Array.from({ length: n * n }, (_, i) => [
      -0.5 + (2 * (i % n)) / (n - 1),
      -0.5 + (2 * Math.floor(i / n)) / (n - 1),
    ]).flat();
    const want = evaluate(f.g, [f.prob], { x: grid }, w).get(f.prob)!;
    assertClose(surface, want, { atol: 1e-5, rtol: 1e-4 }, 'σ(z) over the 9×9 grid');
    // grid points 2 (x = 0) and 6 (x = 1) in each direction are the four examples
    const at = (c: number, r: number): number => surface[r * n + c]!;
    const corners = [at(2, 2), at(2, 6), at(6, 2), at(6, 6)].map((p) => (p >= 0.5 ? 1 : 0));
    assertEqual(corners.join(), XOR_T.join(), 'surface classification at (0,0), (0,1), (1,0), (1,1)');
  } finally {
    model.destroy();
  }
});

test('gradient descent on y = a·x (x = 0..4, y = 4x) from a = 2 converges to 4 (η = 0.02)', async ({ ctx }) => {
  const eta = 0.02;
  const steps = await fitLine(ctx, { a0: 2, lr: eta, steps: 40 });
  // L(a) = 6·(a − 4)², dL/da = 12·(a − 4): a_k − 4 = −2·(1 − 12η)^k
  const a = steps.map((s) => s.a);
  const wantA = steps.map((_, k) => 4 - 2 * (1 - 12 * eta) ** (k + 1));
  assertClose(a, wantA, { atol: 1e-5, rtol: 1e-5 }, 'a after each step');
  const wantLoss = steps.map((_, k) => 6 * (2 * (1 - 12 * eta) ** k) ** 2);
  assertClose(
    steps.map((s) => s.loss),
    wantLoss,
    { atol: 1e-5, rtol: 1e-4 },
    'loss before each step',
  );
  assert(Math.abs(a.at(-1)! - 4) < 1e-3, `a = ${a.at(-1)} after 40 steps`);
});
