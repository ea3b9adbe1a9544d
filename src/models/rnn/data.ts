// Data for the recurrent LMs: the GPT's windows (src/models/gpt/data.ts: 90/10 split, B random
// contiguous windows of T + 1 tokens from a seeded generator) turned into the unrolled graph's
// per-step feeds: x.<t> the one-hot rows (B, V) of the tokens at step t, y.<t> their next tokens.
import type { LmBatch } from '../gpt/data';
import { feedName } from './graph';

export type StepFeeds = Record<string, Float32Array | Int32Array>;

/** One-hot rows (B, V) of `ids` (B). */
export function oneHot(ids: ArrayLike<number>, V: number): Float32Array {
  const x = new Float32Array(ids.length * V);
  for (let b = 0; b < ids.length; b++) x[b * V + ids[b]!] = 1;
  return x;
}

/** The feeds of a (B, T) batch (rows of T tokens, as batchAt lays them out) for buildRnn. */
export function stepFeeds(batch: LmBatch, B: number, T: number, V: number): StepFeeds {
  const feeds: StepFeeds = {};
  const ids = new Int32Array(B);
  for (let t = 0; t < T; t++) {
    const y = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      ids[b] = batch.ids[b * T + t]!;
      y[b] = batch.targets[b * T + t]!;
    }
    feeds[feedName.x(t)] = oneHot(ids, V);
    feeds[feedName.y(t)] = y;
  }
  return feeds;
}
