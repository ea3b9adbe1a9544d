// The recurrent LMs on the GPU: for each cell at odd sizes (hidden 13, vocab 11, T 7, B 3) the
// loss, the logits and every parameter gradient of the unrolled graph against its float64
// reference; a few Adam steps of RnnModel that lower the loss; and generation's one-step graph,
// with h (and c) carried on the host, giving the unrolled graph's logits.
import { test } from '../harness/gpu';
import { assert, assertClose } from '../harness/assert';
import { relErr } from '../harness/fd';
import { gradients } from '../../src/graph/autograd';
import { evaluate } from '../../src/graph/reference';
import { Executor } from '../../src/graph/executor';
import { Rng } from '../../src/util/prng';
import { buildRnn, feedName, type RnnCell, type RnnConfig } from '../../src/models/rnn/graph';
import { oneHot, stepFeeds } from '../../src/models/rnn/data';
import { RnnModel } from '../../src/models/rnn/model';
import { randomBatch } from '../../src/models/gpt/data';

const [V, H, T, B] = [11, 13, 7, 3];
const cfg = (cell: RnnCell, layers: number): RnnConfig => ({ cell, vocabSize: V, hidden: H, layers, block: T });

function ids(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
}

for (const [cell, layers] of [
  ['rnn', 1],
  ['lstm', 2],
  ['gru', 1],
] as const) {
  test(`${cell}: loss, logits and every parameter gradient match the float64 reference (${layers} layer(s), H 13, V 11, T 7, B 3)`, async ({
    ctx,
  }) => {
    const m = buildRnn(cfg(cell, layers), B, T, { seed: 3, initScale: 2 });
    const params = m.g.trainable();
    const grads = gradients(m.g, m.loss!, params);
    const outs = [m.loss!, ...m.logits, ...grads];
    const ex = await Executor.compile(ctx, m.g, { outputs: outs });
    const feeds = stepFeeds({ ids: ids(B * T, 1), targets: ids(B * T, 2) }, B, T, V);
    for (const [k, v] of Object.entries(feeds)) ex.write(k, v);
    const got = await ex.step({ read: outs });
    const env = evaluate(m.g, outs, feeds);
    assertClose(got[0]!, env.get(m.loss!)!, { atol: 0, rtol: 1e-5 }, `${cell} loss`);
    m.logits.forEach((l, t) =>
      assertClose(got[1 + t]!, env.get(l)!, { atol: 1e-5, rtol: 1e-4 }, `${cell} logits of step ${t}`),
    );
    params.forEach((p, i) => {
      const e = relErr(got[1 + T + i]!, env.get(grads[i]!)!);
      assert(e <= 1e-4, `${cell} d ${p.name}: relative error ${e.toExponential(3)} > 1e-4`);
    });
    ex.destroy();
  });
}

test('lstm and gru: a few Adam steps on a repeating text lower the loss', async ({ ctx }) => {
  const data = Int32Array.from({ length: 400 }, (_, i) => [1, 4, 2, 8, 5, 7][i % 6]!);
  for (const cell of ['lstm', 'gru'] as const) {
    const model = await RnnModel.create(ctx, cfg(cell, 1), { batch: B, lr: 3e-2, warmup: 2, decaySteps: 30, seed: 2 });
    const rng = new Rng(5);
    const losses: number[] = [];
    for (let s = 0; s < 30; s++) losses.push((await model.trainStep(randomBatch(data, B, T, rng), true))!);
    assert(losses[29]! < 0.5 * losses[0]!, `${cell} losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    model.destroy();
  }
});

test('lstm: the one-step graph with the state carried on the host gives the unrolled graph’s logits', async ({
  ctx,
}) => {
  const c = cfg('lstm', 2);
  const model = await RnnModel.create(ctx, c, { batch: 1, lr: 1e-2, warmup: 1, decaySteps: 10, seed: 4 });
  const seq = Array.from(ids(T + 1, 9));
  // the unrolled graph in float64 with the model's weights
  const m = buildRnn(c, 1, T, { seed: 4, loss: 'none' });
  const env = evaluate(
    m.g,
    m.logits,
    stepFeeds({ ids: Int32Array.from(seq.slice(0, T)), targets: new Int32Array(T) }, 1, T, V),
  );
  // the step graph, fed one token at a time (what generate does), read its logits each step
  const step = buildRnn(c, 1, 1, { seed: 4, loss: 'none', state: 'input' });
  const hs = step.states.map((s) => s[0]!.h);
  const cs = step.states.map((s) => s[0]!.c!);
  const ex = await Executor.compile(ctx, step.g, {
    outputs: [step.logits[0]!, ...hs, ...cs],
    shareParams: model.trainer.executor,
  });
  let h: Float32Array[] = [new Float32Array(H), new Float32Array(H)];
  let cc: Float32Array[] = [new Float32Array(H), new Float32Array(H)];
  for (let t = 0; t < T; t++) {
    ex.write(feedName.x(0), oneHot([seq[t]!], V));
    [0, 1].forEach((l) => {
      ex.write(feedName.h0(l), h[l]!);
      ex.write(feedName.c0(l), cc[l]!);
    });
    const out = (await ex.step({ read: [step.logits[0]!, ...hs, ...cs] })) as Float32Array[];
    assertClose(out[0]!, env.get(m.logits[t]!)!, { atol: 1e-5, rtol: 1e-4 }, `logits of step ${t}`);
    h = out.slice(1, 3);
    cc = out.slice(3, 5);
  }
  const gen = await model.generate([1, 2], { tokens: 5, temperature: 1, seed: 3 });
  assert(gen.length === 7 && gen.every((t) => t >= 0 && t < V), `generated ${gen.join(' ')}`);
  ex.destroy();
  model.destroy();
});
