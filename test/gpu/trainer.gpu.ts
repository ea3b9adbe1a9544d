// The Trainer: a checkpointed-then-resumed run gives exactly the losses of an uninterrupted one
// (dropout masks and Adam state included), and a wrong checkpoint is refused.
import { test } from '../harness/gpu';
import { assert, assertIdentical } from '../harness/assert';
import { Graph } from '../../src/graph/graph';
import { Linear, Dropout, activation, Rng } from '../../src/nn/layers';
import { Trainer } from '../../src/optim/trainer';
import { warmupCosine } from '../../src/optim/schedule';
import type { GpuContext } from '../../src/gpu/device';

async function build(ctx: GpuContext): Promise<Trainer> {
  const g = new Graph();
  const rng = new Rng(42);
  const x = g.input('x', [16, 6]);
  const t = g.input('t', [16], 'i32');
  const h = new Dropout(g, 0.2, 7).forward(activation(g, 'relu', new Linear(g, 'fc1', 6, 12, rng).forward(x)));
  const logits = new Linear(g, 'fc2', 12, 4, rng).forward(h);
  const [loss] = g.apply('cross_entropy', [logits, t], { ignoreIndex: -100 });
  return Trainer.create(
    ctx,
    g,
    loss!,
    { kind: 'adamw', lr: warmupCosine({ lr: 0.05, warmup: 2, total: 6 }), weightDecay: 0.1 },
    { clip: 1, config: { model: 'test-mlp' } },
  );
}

function batch(step: number): Record<string, Float32Array | Int32Array> {
  const r = new Rng(1000 + step);
  return {
    x: Float32Array.from({ length: 96 }, () => r.uniform(-1, 1)),
    t: Int32Array.from({ length: 16 }, () => r.int(4)),
  };
}

test('an interrupted and resumed run gives the same losses as an uninterrupted one', async ({ ctx }) => {
  const a = await build(ctx);
  const straight: number[] = [];
  for (let s = 1; s <= 6; s++) straight.push((await a.run(batch(s), [a.loss]))[0]![0]!);
  a.destroy();

  const b = await build(ctx);
  for (let s = 1; s <= 3; s++) await b.run(batch(s));
  const files = await b.save({ note: 'half way' });
  b.destroy();

  const c = await build(ctx);
  const progress = c.load(files);
  assert(progress.step === 3 && progress.note === 'half way', `progress ${JSON.stringify(progress)}`);
  const resumed: number[] = [];
  for (let s = 4; s <= 6; s++) resumed.push((await c.run(batch(s), [c.loss]))[0]![0]!);
  c.destroy();
  assertIdentical(resumed, straight.slice(3), 'losses of steps 4-6');
  assert(straight[5]! < straight[0]!, `training lowers the loss: ${straight.join(', ')}`);
});

test('loading a checkpoint of another model is refused with the missing name', async ({ ctx }) => {
  const a = await build(ctx);
  const files = await a.save();
  a.destroy();
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const w = new Linear(g, 'other', 3, 1, new Rng(1));
  const loss = g.op('mean_last', [g.op('reshape', [w.forward(x)], { shape: [1, 2] })], {});
  const tr = await Trainer.create(ctx, g, loss, { kind: 'sgd', lr: 0.1 });
  let msg = '';
  try {
    tr.load(files);
  } catch (e) {
    msg = (e as Error).message;
  }
  tr.destroy();
  assert(/no parameter "other.weight"/.test(msg), `wrong or no error: ${msg}`);
});
