// The graph executor on the GPU: a compiled training step (forward, backward, clipping, Adam)
// against the float64 reference, one submit and zero new GPU objects per steady-state step,
// buffer reuse, and planned execution bit-identical to an execution without reuse.
import { test } from '../harness/gpu';
import { assert, assertClose, assertEqual, assertIdentical } from '../harness/assert';
import { Graph, type Value } from '../../src/graph/graph';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Executor } from '../../src/graph/executor';
import { StepScalars } from '../../src/ops/optimizer';
import { Rng } from '../../src/util/prng';
import type { GpuContext } from '../../src/gpu/device';

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true };

function init(seed: number, scale = 0.5): (n: number) => Float32Array {
  const r = new Rng(seed);
  return (n) => Float32Array.from({ length: n }, () => r.uniform(-scale, scale));
}

interface Mlp {
  g: Graph;
  loss: Value;
  grads: Value[];
  params: Value[];
}

/** x (13, 5) → linear 7 → tanh → linear 3 → cross-entropy; gradients clipped; AdamW. */
function mlp(withOptimizer: boolean): Mlp {
  const g = new Graph();
  const x = g.input('x', [13, 5]);
  const t = g.input('targets', [13], 'i32');
  const params = [
    g.param('w1', [5, 7], init(1)),
    g.param('b1', [7], init(2, 0.1)),
    g.param('w2', [7, 3], init(3)),
    g.param('b2', [3], init(4, 0.1)),
  ];
  const h = g.op('unary', [g.op('linear', [x, params[0]!, params[1]!], {})], { op: 'tanh' });
  const logits = g.op('linear', [h, params[2]!, params[3]!], {});
  const [loss] = g.apply('cross_entropy', [logits, t], { ignoreIndex: -100 });
  const grads = gradients(g, loss!, params);
  if (withOptimizer) {
    const scalars = g.input('opt.scalars', [4]);
    g.apply('clip_scale', [g.op('global_norm', grads, {}), ...grads], { maxNorm: 1 });
    params.forEach((p, i) => {
      const m = g.param(`${p.name}.m`, [...p.shape], new Float32Array(p.size), false);
      const v = g.param(`${p.name}.v`, [...p.shape], new Float32Array(p.size), false);
      g.apply('adam', [p, grads[i]!, m, v, scalars], ADAM);
    });
  }
  return { g, loss: loss!, grads, params };
}

const feeds = {
  x: Float64Array.from({ length: 65 }, (_, i) => Math.sin(1.3 * i)),
  targets: Float64Array.from({ length: 13 }, (_, i) => (i * 7) % 3),
};

function feed(ex: Executor): void {
  ex.write('x', Float32Array.from(feeds.x));
  ex.write('targets', Int32Array.from(feeds.targets));
}

test('a compiled MLP step (forward, backward, clip, AdamW) matches the float64 reference for 3 steps', async ({
  ctx,
}) => {
  const { g, loss, params } = mlp(true);
  const ex = await Executor.compile(ctx, g, { outputs: [loss] });
  feed(ex);
  let ref: Record<string, Float64Array> = {};
  for (const p of g.params.values()) ref[p.name] = Float64Array.from((p.node.attrs as { init: Float32Array }).init);
  for (let t = 1; t <= 3; t++) {
    const sc = StepScalars.values(0.05, t, ADAM.beta1, ADAM.beta2);
    ex.write('opt.scalars', sc);
    const [got] = await ex.step({ read: [loss] });
    const env = evaluate(g, [loss], { ...feeds, 'opt.scalars': sc }, ref);
    assertClose(got!, env.get(loss)!, { atol: 1e-6, rtol: 1e-5 }, `loss at step ${t}`);
    const next: Record<string, Float64Array> = {};
    for (const p of g.params.values()) next[p.name] = env.get(p)!;
    ref = next;
  }
  for (const p of params)
    assertClose(await ex.readParam(p.name), ref[p.name]!, { atol: 2e-5, rtol: 1e-4 }, `${p.name} after 3 steps`);
  ex.destroy();
});

function countSubmits(ctx: GpuContext): { n: number; restore(): void } {
  const q = ctx.device.queue;
  const orig = q.submit.bind(q);
  const c = { n: 0, restore: () => (q.submit = orig) };
  q.submit = (bufs: Iterable<GPUCommandBuffer>) => {
    c.n++;
    orig(bufs);
  };
  return c;
}

test('steady-state steps submit once and create no buffers, bind groups or pipelines', async ({ ctx }) => {
  const { g, loss } = mlp(true);
  const ex = await Executor.compile(ctx, g, { outputs: [loss] });
  feed(ex);
  for (let t = 1; t <= 2; t++) {
    ex.write('opt.scalars', StepScalars.values(0.01, t, ADAM.beta1, ADAM.beta2));
    await ex.step({ read: [loss] });
  }
  const before = { ...ctx.counters };
  const submits = countSubmits(ctx);
  try {
    for (let t = 3; t <= 7; t++) {
      ex.write('opt.scalars', StepScalars.values(0.01, t, ADAM.beta1, ADAM.beta2));
      await ex.step({ read: [loss] });
    }
  } finally {
    submits.restore();
  }
  assertEqual(submits.n, 5, 'submits for 5 steps');
  assertEqual(ctx.counters.buffers, before.buffers, 'buffers created');
  assertEqual(ctx.counters.bindGroups, before.bindGroups, 'bind groups created');
  assertEqual(ctx.counters.pipelines, before.pipelines, 'pipelines created');
  assert(
    ex.plan.plannedBytes < ex.plan.naiveBytes,
    `buffer reuse: planned ${ex.plan.plannedBytes} B vs naive ${ex.plan.naiveBytes} B`,
  );
  ex.destroy();
});

test('planned execution is bit-identical to execution without buffer reuse', async ({ ctx }) => {
  const a = mlp(false);
  const planned = await Executor.compile(ctx, a.g, { outputs: [a.loss, ...a.grads] });
  const everything = a.g.nodes.flatMap((n) => n.outputs);
  const unplanned = await Executor.compile(ctx, a.g, { outputs: [a.loss, ...a.grads], keep: everything });
  assertEqual(unplanned.plan.slotBytes.length, 0, 'the unplanned executor shares no buffer');
  feed(planned);
  feed(unplanned);
  const r1 = await planned.step({ read: [a.loss, ...a.grads] });
  const r2 = await unplanned.step({ read: [a.loss, ...a.grads] });
  r1.forEach((x, i) => assertIdentical(x, r2[i]!, `output ${i}`));
  const env = evaluate(a.g, [a.loss, ...a.grads], feeds);
  a.grads.forEach((gv, i) =>
    assertClose(r1[i + 1]!, env.get(gv)!, { atol: 1e-6, rtol: 1e-4 }, `grad ${a.params[i]!.name}`),
  );
  planned.destroy();
  unplanned.destroy();
});

test("an inference graph can share a training executor's parameters without copies", async ({ ctx }) => {
  const train = mlp(true);
  const tex = await Executor.compile(ctx, train.g, { outputs: [train.loss] });
  const g = new Graph();
  const x = g.input('x', [13, 5]);
  const w1 = g.param('w1', [5, 7], new Float32Array(35));
  const b1 = g.param('b1', [7], new Float32Array(7));
  const h = g.op('unary', [g.op('linear', [x, w1, b1], {})], { op: 'tanh' });
  const inf = await Executor.compile(ctx, g, { outputs: [h], shareParams: tex });
  feed(tex);
  inf.write('x', Float32Array.from(feeds.x));
  tex.write('opt.scalars', StepScalars.values(0.1, 1, ADAM.beta1, ADAM.beta2));
  await tex.step();
  const [got] = await inf.step({ read: [h] });
  const w1now = await tex.readParam('w1');
  const b1now = await tex.readParam('b1');
  const env = evaluate(g, [h], { x: feeds.x }, { w1: w1now, b1: b1now });
  assertClose(got!, env.get(h)!, { atol: 1e-6, rtol: 1e-5 }, 'inference output uses the updated weights');
  inf.destroy();
  tex.destroy();
});
