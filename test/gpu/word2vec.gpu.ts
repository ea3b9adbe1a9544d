// word2vec on the GPU: one minibatch step (gradient kernel + deterministic scatter-add) against
// the float64 reference on odd sizes with colliding ids (with V = 7, many consecutive examples
// share their positive and form chains), bit-identical repeats, and a short
// training run on a small built-in corpus that must pass an analogy bar.
import { test } from '../harness/gpu';
import { assert, assertClose, assertIdentical } from '../harness/assert';
import { Recorder } from '../../src/gpu/recorder';
import { tensorFrom } from '../../src/gpu/tensor';
import { W2vBuffers, w2vStep } from '../../src/ops/word2vec';
import { sgnsStep } from '../../src/reference/word2vec';
import { Rng, randomArray } from '../../src/util/prng';
import { trainWord2Vec } from '../../src/models/word2vec/train';
import { builtinCorpus, builtinQuestions } from '../../src/text/w2v_corpus';
import { analogyAccuracy } from '../../src/eval/similarity';

async function stepOnce(
  ctx: Parameters<Parameters<typeof test>[1]>[0]['ctx'],
  V: number,
  D: number,
  E: number,
  S: number,
  O: number,
  seed: number,
) {
  const rng = new Rng(seed);
  const syn0 = randomArray(V * D, seed + 1, -1, 1);
  const syn1 = randomArray(V * D, seed + 2, -1, 1);
  // ids with collisions (V small), some −1 slots, some padding examples at the end
  const inIds = Int32Array.from({ length: E * S }, (_, i) =>
    Math.floor(i / S) >= E - 3 ? -1 : i % S === 0 || rng.next() < 0.7 ? rng.int(V) : -1,
  );
  const outIds = Int32Array.from({ length: E * O }, () => (rng.next() < 0.1 ? -1 : rng.int(V)));
  const lr = Float32Array.from({ length: E }, () => rng.uniform(0.01, 0.05));
  const b = new W2vBuffers(ctx, E, S, O, V, D);
  const t0 = tensorFrom(ctx, syn0, [V, D]);
  const t1 = tensorFrom(ctx, syn1, [V, D]);
  b.write(inIds, outIds, lr);
  const rec = new Recorder(ctx, { label: 'test' });
  await w2vStep(rec, t0, t1, b);
  rec.submit();
  const got = {
    syn0: (await t0.read()) as Float32Array,
    syn1: (await t1.read()) as Float32Array,
    loss: (await b.loss.read()) as Float32Array,
  };
  for (const t of [t0, t1]) t.release();
  b.release();
  const r0 = Float64Array.from(syn0);
  const r1 = Float64Array.from(syn1);
  const loss = sgnsStep(r0, r1, D, { examples: E, slots: S, outs: O, inIds, outIds, lr });
  return { got, want: { syn0: r0, syn1: r1, loss } };
}

for (const [V, D, E, S, O] of [
  [7, 5, 45, 1, 6],
  [50, 33, 1023, 10, 4],
  [300, 100, 257, 1, 1],
] as const) {
  test(`word2vec step matches the float64 reference (V=${V} D=${D} E=${E} S=${S} O=${O})`, async ({ ctx }) => {
    const { got, want } = await stepOnce(ctx, V, D, E, S, O, V + D);
    // f32 sums of up to E·O rows of size ≤ lr·|h|: absolute error dominates
    const tol = { atol: 2e-5 * Math.sqrt(E), rtol: 1e-4 };
    assertClose(got.syn1, want.syn1, tol, 'syn1');
    assertClose(got.syn0, want.syn0, tol, 'syn0');
    assertClose(got.loss, want.loss, { atol: 1e-4, rtol: 1e-4 }, 'loss');
  });
}

test('word2vec step is bit-identical when repeated', async ({ ctx }) => {
  const a = await stepOnce(ctx, 40, 17, 777, 4, 6, 5);
  const b = await stepOnce(ctx, 40, 17, 777, 4, 6, 5);
  assertIdentical(a.got.syn0, b.got.syn0, 'syn0');
  assertIdentical(a.got.syn1, b.got.syn1, 'syn1');
});

for (const mode of ['skipgram', 'cbow'] as const) {
  test(`word2vec ${mode} on a small built-in corpus: analogy accuracy ≥ 0.75, same seed bit-identical`, async ({
    ctx,
  }) => {
    const src = builtinCorpus({ tokens: 60_000, seed: 1 });
    // small corpus, so more and larger steps than the defaults (float64 simulation: 0.898 / 0.894)
    const opts =
      mode === 'skipgram'
        ? { mode, dim: 32, epochs: 5, seed: 1, batch: 1024, alpha: 0.05 }
        : { mode, dim: 32, epochs: 5, seed: 1, batch: 256, alpha: 0.1 };
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const { model } = await trainWord2Vec(ctx, src, opts);
      runs.push(await model.vectors());
      if (r === 0) {
        const acc = analogyAccuracy(await model.wordVectors(), builtinQuestions());
        assert(
          acc.accuracy >= 0.75,
          `analogy accuracy ${acc.accuracy.toFixed(3)} (${acc.correct}/${acc.total}) < 0.75`,
        );
      }
      model.destroy();
    }
    assertIdentical(runs[0]!, runs[1]!, 'vectors of two runs with the same seed');
  });
}
