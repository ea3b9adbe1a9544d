// word2vec_skipgram / word2vec_cbow: one minibatch step at word2vec's default knobs (D=100,
// 5 negatives; CBOW with 10 context slots) on a fixed seeded batch over V=400 words (the built-in
// corpus's vocabulary size, so ids collide often): skip-gram 1024 pairs, CBOW 256 windows.
// Ours: the gradient kernel + two deterministic scatter-adds. Peer: the same update in TF.js ops
// (gather, mean, dot, sigmoid, unsortedSegmentSum into the tables). Words/s = examples per second
// / examples per word (skip-gram ≈ window + 1 = 6 pairs per kept word, CBOW 1).
import type { BenchCase } from '../case';
import { Rng, tensorFrom, word2vec } from '../../../src/index';
import { W2vBuffers, w2vStep } from '../../../src/ops/index';

const V = 400;
const D = 100;
const K = 5;

function batch(E: number, S: number, O: number): { inIds: Int32Array; outIds: Int32Array; lr: Float32Array } {
  const rng = new Rng(1, 0xbe4c);
  return {
    inIds: Int32Array.from({ length: E * S }, () => rng.int(V)),
    outIds: Int32Array.from({ length: E * O }, () => rng.int(V)),
    lr: new Float32Array(E).fill(0.025),
  };
}

function row(mode: 'skipgram' | 'cbow', E: number): BenchCase {
  const S = mode === 'skipgram' ? 1 : 10;
  const O = 1 + K;
  const { syn0 } = word2vec.initTables(V, D, 1);
  const b = batch(E, S, O);
  return {
    name: `word2vec_${mode}`,
    shape: `V${V} E${E} S${S} D${D} neg${K}`,
    flops: E * D * (S + 6 * O) + E * (S + O) * D,
    bytes: 4 * E * D * (2 * S + 3 * O + 2) + 4 * 3 * E * (S + O) * D,
    async ours(ctx) {
      const t0 = tensorFrom(ctx, syn0, [V, D]);
      const t1 = tensorFrom(ctx, syn0, [V, D]);
      const bufs = new W2vBuffers(ctx, E, S, O, V, D);
      bufs.write(b.inIds, b.outIds, b.lr);
      return {
        async record(rec) {
          await w2vStep(rec, t0, t1, bufs);
        },
        dispose() {
          bufs.release();
          t0.release();
          t1.release();
        },
      };
    },
    peer(tf) {
      const s0 = tf.variable(tf.tensor2d(syn0, [V, D]));
      const s1 = tf.variable(tf.tensor2d(syn0, [V, D]));
      const inT = tf.tensor2d(b.inIds, [E, S], 'int32');
      const outT = tf.tensor2d(b.outIds, [E, O], 'int32');
      const lrT = tf.tensor2d(b.lr, [E, 1]);
      const label = tf.tensor2d(
        Float32Array.from({ length: O }, (_, j) => (j === 0 ? 1 : 0)),
        [1, O],
      );
      return {
        run() {
          return [
            tf.tidy(() => {
              const h = tf.mean(tf.gather(s0, inT), 1); // (E, D)
              const w = tf.gather(s1, outT); // (E, O, D)
              const f = tf.sum(tf.mul(tf.expandDims(h, 1), w), -1); // (E, O)
              const g = tf.mul(tf.sub(label, tf.sigmoid(f)), lrT); // (E, O)
              const dOut = tf.mul(tf.expandDims(g, 2), tf.expandDims(h, 1)); // (E, O, D)
              const e1 = tf.sum(tf.mul(tf.expandDims(g, 2), w), 1); // (E, D)
              const dIn = tf.tile(tf.expandDims(e1, 1), [1, S, 1]); // (E, S, D)
              s1.assign(tf.add(s1, tf.unsortedSegmentSum(tf.reshape(dOut, [E * O, D]), tf.reshape(outT, [E * O]), V)));
              s0.assign(tf.add(s0, tf.unsortedSegmentSum(tf.reshape(dIn, [E * S, D]), tf.reshape(inT, [E * S]), V)));
              return f;
            }),
          ];
        },
        dispose() {
          for (const t of [s0, s1, inT, outT, lrT, label]) t.dispose();
        },
      };
    },
  };
}

export const cases: BenchCase[] = [row('skipgram', 1024), row('cbow', 256)];
