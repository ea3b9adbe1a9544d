// word2vec minibatch step with negative sampling on the GPU: `w2vGrads` (shaders/word2vec.wgsl)
// computes every example's gradient rows from the pre-batch parameters (a chain of consecutive
// examples with the same positive — one skip-gram center's pairs — runs in order on that row),
// then `w2vStep` adds them into syn1 and syn0 with the deterministic scatter-add
// (src/ops/embedding.ts), so colliding updates are summed in a fixed order and the same inputs
// give bit-identical tables.
import { ShapeError } from '../util/errors';
import { expectRank, expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { GpuContext } from '../gpu/device';
import { emptyTensor, writeTensor, type Tensor } from '../gpu/tensor';
import { EmbeddingWorkspace, scatterAddRows, scatterPlan } from './embedding';
import { expectDType, groups, kernel } from './common';

/** Per-batch buffers: inputs (ids, lr, chains) and the gradient rows. Made once, reused every batch. */
export class W2vBuffers {
  readonly inIds: Tensor;
  readonly outIds: Tensor;
  readonly lr: Tensor;
  readonly chains: Tensor;
  readonly dIn: Tensor;
  readonly dOut: Tensor;
  readonly loss: Tensor;
  readonly wsIn: EmbeddingWorkspace;
  readonly wsOut: EmbeddingWorkspace;
  /** Chains in the batch last written (one kernel invocation each). */
  chainCount = 0;
  private readonly starts: Int32Array;

  constructor(
    ctx: GpuContext,
    readonly E: number,
    readonly S: number,
    readonly O: number,
    readonly V: number,
    readonly D: number,
  ) {
    const t = (shape: number[], dtype: 'f32' | 'i32', name: string): Tensor =>
      emptyTensor(ctx, shape, dtype, `word2vec.${name}`);
    this.inIds = t([E, S], 'i32', 'in_ids');
    this.outIds = t([E, O], 'i32', 'out_ids');
    this.lr = t([E], 'f32', 'lr');
    this.chains = t([E], 'i32', 'chains');
    this.dIn = t([E, S, D], 'f32', 'd_in');
    this.dOut = t([E, O, D], 'f32', 'd_out');
    this.loss = t([E], 'f32', 'loss');
    this.wsIn = new EmbeddingWorkspace(ctx, scatterPlan(E * S, V, D));
    this.wsOut = new EmbeddingWorkspace(ctx, scatterPlan(E * O, V, D));
    this.starts = new Int32Array(E);
  }

  /** Upload one batch, (E, S) input ids, (E, O) output ids and (E) rates, with its chain starts. */
  write(inIds: Int32Array, outIds: Int32Array, lr: Float32Array): void {
    writeTensor(this.inIds, inIds);
    writeTensor(this.outIds, outIds);
    writeTensor(this.lr, lr);
    this.chainCount = chainStarts(outIds, this.E, this.O, this.V, this.starts);
    writeTensor(this.chains, this.starts);
  }

  release(): void {
    for (const x of [this.inIds, this.outIds, this.lr, this.chains, this.dIn, this.dOut, this.loss]) x.release();
    this.wsIn.release();
    this.wsOut.release();
  }
}

/**
 * The first example of each chain (a run of consecutive examples with the same valid positive
 * out_ids[e, 0]) into `starts`, longest chain first (ties in batch order), so that neighbouring
 * invocations, which a GPU runs in lockstep, have about the same work; returns the count.
 */
export function chainStarts(outIds: ArrayLike<number>, E: number, O: number, V: number, starts: Int32Array): number {
  const first: number[] = [];
  for (let e = 0; e < E; e++) {
    const w = outIds[e * O]!;
    if (!(e > 0 && w >= 0 && w < V && outIds[(e - 1) * O] === w)) first.push(e);
  }
  const len = (i: number): number => (i + 1 < first.length ? first[i + 1]! : E) - first[i]!;
  const order = first.map((_, i) => i).sort((a, b) => len(b) - len(a) || a - b);
  order.forEach((i, k) => (starts[k] = first[i]!));
  return first.length;
}

function check(op: string, syn0: Tensor, syn1: Tensor, b: W2vBuffers): void {
  for (const [n, x] of [
    ['syn0', syn0],
    ['syn1', syn1],
  ] as const) {
    expectDType(op, n, x, 'f32');
    expectRank(op, n, x.shape, 2);
    expectShape(op, n, x.shape, [b.V, b.D]);
  }
  if (b.S < 1 || b.O < 1)
    throw new ShapeError(op, `needs at least one input slot and one output, got S=${b.S}, O=${b.O}`);
}

// h = mean syn0[in]; f = h·syn1[out]; g = (label − σ(f))·lr; d_out = g·h; d_in = Σ g·syn1[out]
// (chains of one positive in order); the batch must have been uploaded with b.write
export async function w2vGrads(rec: Recorder, syn0: Tensor, syn1: Tensor, b: W2vBuffers): Promise<void> {
  const op = 'word2vec';
  check(op, syn0, syn1, b);
  const k = await kernel(rec, op, 'word2vec', 'w2v_grads');
  const { E, S, O, D, V } = b;
  rec.dispatch({
    kernel: k,
    op,
    bindings: {
      syn0,
      syn1,
      in_ids: b.inIds,
      out_ids: b.outIds,
      lr: b.lr,
      chains: b.chains,
      d_in: b.dIn,
      d_out: b.dOut,
      loss: b.loss,
    },
    uniforms: { examples: E, chains: b.chainCount, slots: S, outs: O, dim: D, vocab: V },
    workgroups: groups(b.chainCount, k.workgroupSize[0]),
    cost: { flops: E * D * (S + 6 * O), bytes: 4 * E * D * (2 * S + 3 * O + 2) },
  });
}

/** One minibatch: gradients from the current tables, then syn1 += scatter(d_out), syn0 += scatter(d_in). */
export async function w2vStep(rec: Recorder, syn0: Tensor, syn1: Tensor, b: W2vBuffers): Promise<void> {
  await w2vGrads(rec, syn0, syn1, b);
  await scatterAddRows(rec, b.dOut, b.outIds, syn1, { accumulate: true, workspace: b.wsOut }, 'word2vec_scatter_out');
  await scatterAddRows(rec, b.dIn, b.inIds, syn0, { accumulate: true, workspace: b.wsIn }, 'word2vec_scatter_in');
}
