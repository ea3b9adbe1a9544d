// cross_entropy: fused softmax + negative log-likelihood over integer targets, with an ignore
// index (padding, unmasked MLM positions) and the mean over counted rows, all on the GPU.
// Three dispatches per call (see shaders/cross_entropy.wgsl): count → per-row pass → mean. The
// count pass also turns dloss into grad_scale = dloss / count, so the fused pass writes final
// dlogits and the host never reads targets. Saved for backward: logits, targets and `stats`
// ([count, grad_scale], 2 f32); `crossEntropyFused` makes backward unnecessary in training.
// Threads per row default to ctx.tuning (cross_entropy.threads).
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { expectRank, expectShape, numel } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { CompiledKernel } from '../gpu/pipelines';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { defineOps, like, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/cross_entropy';

/** PyTorch's default ignore index. */
export const DEFAULT_IGNORE_INDEX = -100;
/** Counts are reduced in f32: exact below 2^24 rows. */
const MAX_ROWS = 1 << 24;

export interface CrossEntropyOptions {
  /** Rows whose target equals this get loss 0, dlogits 0 and are not counted (default −100). */
  ignoreIndex?: number;
  /** Invocations per row, a power of two ≤ 256 (default: cross_entropy.threads of ctx.tuning: 1 on CPU adapters, else by V). */
  threadsPerRow?: number;
}

export interface CrossEntropyOutputs {
  /** Mean loss over counted rows, shape [1] (0 when every row is ignored). */
  loss: Tensor;
  /** Per-row loss, shape [R]. */
  losses: Tensor;
  /** [count, grad_scale] (f32): counted rows and dloss / max(count, 1). */
  stats: Tensor;
}

export interface CrossEntropyFusedOutputs extends CrossEntropyOutputs {
  /** (softmax − onehot) · dloss / max(count, 1), shape [R, V]. */
  dlogits: Tensor;
}

interface Plan {
  R: number;
  V: number;
  ignoreIndex: number;
  wg: number;
  tpr: number;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** cross_entropy's shape rule: logits f32 (R, V), targets i32 (R), R < 2^24, ignoreIndex an i32. */
export function crossEntropyShape(
  op: string,
  logits: Typed,
  targets: Typed,
  ignoreIndex: number,
): { R: number; V: number } {
  expectDType(op, 'logits', logits, 'f32');
  expectDType(op, 'targets', targets, 'i32');
  expectRank(op, 'logits', logits.shape, 2);
  const [R, V] = logits.shape as [number, number];
  if (targets.shape.length !== 1 || targets.shape[0] !== R) {
    throw new ShapeError(
      op,
      `targets has shape ${fmtShape(targets.shape)}, expected [${R}] (one per row of logits ${fmtShape(logits.shape)})`,
    );
  }
  if (R >= MAX_ROWS) throw new LimitError(op, 'rows', R, 'exact f32 row count (2^24)', MAX_ROWS - 1);
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -(2 ** 31) || ignoreIndex >= 2 ** 31) {
    throw new ShapeError(op, `ignoreIndex must be an i32, got ${ignoreIndex}`);
  }
  return { R, V };
}

function plan(op: string, rec: Recorder, logits: Tensor, targets: Tensor, o: CrossEntropyOptions): Plan {
  const ignoreIndex = o.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  const { R, V } = crossEntropyShape(op, logits, targets, ignoreIndex);
  const tuned = rec.ctx.tuning['cross_entropy.threads'];
  const tpr =
    o.threadsPerRow ??
    (tuned !== 'auto' ? tuned : Math.min(256, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(V / 16))))));
  if (!isPow2(tpr) || tpr > 256) throw new ShapeError(op, `threadsPerRow must be a power of two ≤ 256, got ${tpr}`);
  return { R, V, ignoreIndex, wg: Math.max(64, tpr), tpr };
}

function k(rec: Recorder, op: string, entry: string, p: Plan): Promise<CompiledKernel> {
  return kernel(rec, op, 'cross_entropy', entry, { WG: p.wg, TPR: p.tpr });
}

function uniforms(p: Plan): Record<string, number> {
  return { rows: p.R, classes: p.V, ignore_index: p.ignoreIndex };
}

async function countPass(
  op: string,
  rec: Recorder,
  p: Plan,
  targets: Tensor,
  stats: Tensor,
  dloss?: Tensor,
): Promise<void> {
  const kc = await k(rec, op, dloss ? 'ce_count_dloss' : 'ce_count', p);
  rec.dispatch({
    kernel: kc,
    op,
    bindings: dloss ? { targets, stats, dloss } : { targets, stats },
    uniforms: uniforms(p),
    workgroups: 1,
    cost: { flops: p.R, bytes: 4 * p.R + 12 },
  });
}

async function meanPass(
  op: string,
  rec: Recorder,
  p: Plan,
  losses: Tensor,
  stats: Tensor,
  loss: Tensor,
): Promise<void> {
  rec.dispatch({
    kernel: await k(rec, op, 'ce_mean', p),
    op,
    bindings: { losses, stats, loss },
    uniforms: uniforms(p),
    workgroups: 1,
    cost: { flops: p.R, bytes: 4 * p.R + 12 },
  });
}

type RunOutputs = CrossEntropyOutputs & { dlogits: Tensor | null };

function outputs(
  op: string,
  rec: Recorder,
  p: Plan,
  out: Partial<CrossEntropyFusedOutputs>,
  grad: boolean,
): RunOutputs {
  if (out.loss) expectShape(op, 'out.loss', out.loss.shape, [1]);
  if (out.losses) expectShape(op, 'out.losses', out.losses.shape, [p.R]);
  if (out.stats) expectShape(op, 'out.stats', out.stats.shape, [2]);
  if (grad && out.dlogits) expectShape(op, 'out.dlogits', out.dlogits.shape, [p.R, p.V]);
  const ctx = rec.ctx;
  return {
    loss: out.loss ?? emptyTensor(ctx, [1], 'f32', `${op}.loss`),
    losses: out.losses ?? emptyTensor(ctx, [p.R], 'f32', `${op}.losses`),
    stats: out.stats ?? emptyTensor(ctx, [2], 'f32', `${op}.stats`),
    dlogits: grad ? (out.dlogits ?? emptyTensor(ctx, [p.R, p.V], 'f32', `${op}.dlogits`)) : null,
  };
}

function checkDloss(op: string, dloss: Typed | undefined): void {
  if (!dloss) return;
  expectDType(op, 'dloss', dloss, 'f32');
  if (numel(dloss.shape) !== 1)
    throw new ShapeError(op, `dloss has shape ${fmtShape(dloss.shape)}, expected one element`);
}

async function run(
  op: string,
  entry: 'ce_fwd' | 'ce_fwd_bwd',
  rec: Recorder,
  logits: Tensor,
  targets: Tensor,
  o: CrossEntropyOptions,
  dloss: Tensor | undefined,
  out: Partial<CrossEntropyFusedOutputs>,
): Promise<RunOutputs> {
  const p = plan(op, rec, logits, targets, o);
  checkDloss(op, dloss);
  const grad = entry === 'ce_fwd_bwd';
  const res = outputs(op, rec, p, out, grad);
  const kr = await k(rec, op, entry, p);
  await countPass(op, rec, p, targets, res.stats, dloss);
  if (p.R > 0) {
    const n = p.R * p.V;
    rec.dispatch({
      kernel: kr,
      op,
      bindings: res.dlogits
        ? { logits, targets, stats: res.stats, losses: res.losses, dlogits: res.dlogits }
        : { logits, targets, losses: res.losses },
      uniforms: uniforms(p),
      workgroups: groups(p.R, p.wg / p.tpr),
      cost: { flops: (grad ? 8 : 4) * n, bytes: (grad ? 12 : 4) * n + 8 * p.R },
    });
  }
  await meanPass(op, rec, p, res.losses, res.stats, res.loss);
  return res;
}

/** Per-row losses, their mean over counted rows, and stats (saved for crossEntropyBackward). */
// logits is (R,V), targets is (R) → loss (1), losses (R), stats (2)
export async function crossEntropyForward(
  rec: Recorder,
  logits: Tensor,
  targets: Tensor,
  opts: CrossEntropyOptions = {},
  out: Partial<CrossEntropyOutputs> = {},
): Promise<CrossEntropyOutputs> {
  const { loss, losses, stats } = await run('cross_entropy', 'ce_fwd', rec, logits, targets, opts, undefined, out);
  return { loss, losses, stats };
}

// d loss / d logits = (softmax(logits) − onehot(targets)) · dloss / count, 0 on ignored rows
/** dlogits from dloss (1 element); softmax is recomputed; `stats` is the forward's (rewritten here). */
export async function crossEntropyBackward(
  rec: Recorder,
  dloss: Tensor,
  logits: Tensor,
  targets: Tensor,
  stats: Tensor,
  opts: CrossEntropyOptions = {},
  dlogits?: Tensor,
): Promise<Tensor> {
  const op = 'cross_entropy_backward';
  const p = plan(op, rec, logits, targets, opts);
  checkDloss(op, dloss);
  expectShape(op, 'stats', stats.shape, [2]);
  if (dlogits) expectShape(op, 'dlogits', dlogits.shape, [p.R, p.V]);
  const out = dlogits ?? emptyTensor(rec.ctx, [p.R, p.V], 'f32', op);
  const kb = await k(rec, op, 'ce_bwd', p);
  await countPass(op, rec, p, targets, stats, dloss);
  if (p.R > 0) {
    const n = p.R * p.V;
    rec.dispatch({
      kernel: kb,
      op,
      bindings: { logits, targets, stats, dlogits: out },
      uniforms: uniforms(p),
      workgroups: groups(p.R, p.wg / p.tpr),
      cost: { flops: 8 * n, bytes: 12 * n + 4 * p.R },
    });
  }
  return out;
}

/**
 * Training path: forward and backward in one pass over the logits. dlogits is scaled by
 * dloss[0] / count when `dloss` (1 element, on the GPU) is given, else by 1 / count; dloss must
 * hold its value when this command buffer runs (in a training step it is the loss seed).
 */
// logits is (R,V), targets is (R) → loss (1), losses (R), stats (2), dlogits (R,V)
export async function crossEntropyFused(
  rec: Recorder,
  logits: Tensor,
  targets: Tensor,
  opts: CrossEntropyOptions & { dloss?: Tensor } = {},
  out: Partial<CrossEntropyFusedOutputs> = {},
): Promise<CrossEntropyFusedOutputs> {
  const res = await run('cross_entropy', 'ce_fwd_bwd', rec, logits, targets, opts, opts.dloss, out);
  return { ...res, dlogits: res.dlogits! };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    cross_entropy: { ignoreIndex: number };
    cross_entropy_backward: { ignoreIndex: number };
  }
}

export const crossEntropyOps = defineOps({
  cross_entropy: {
    inputs: ['logits', 'targets'],
    infer: ([l, t], a): TypeInfo[] => {
      const { R } = crossEntropyShape('cross_entropy', l!, t!, a.ignoreIndex);
      return [
        { shape: [1], dtype: 'f32' },
        { shape: [R], dtype: 'f32' },
      ];
    },
    encode: async (rec, [logits, targets], [loss, losses], a) => {
      const stats = emptyTensor(rec.ctx, [2], 'f32', 'cross_entropy.stats');
      await crossEntropyForward(rec, logits!, targets!, { ignoreIndex: a.ignoreIndex }, { loss, losses, stats });
      rec.releaseAfterSubmit(stats);
    },
    // saves nothing: backward recomputes softmax from the logits
    backward: (b, [logits, targets], _, [dloss], a) => {
      if (!dloss) throw new ShapeError('cross_entropy', 'only the mean loss (output 0) is differentiable');
      return [b.op('cross_entropy_backward', [dloss, logits!, targets!], a), null];
    },
    reference: ([l, t], [tl], a) => {
      const r = ref.crossEntropyForward(l!, t!, tl!.shape[0]!, tl!.shape[1]!, a.ignoreIndex);
      return [Float64Array.of(r.loss), r.losses];
    },
  },
  cross_entropy_backward: {
    inputs: ['dloss', 'logits', 'targets'],
    infer: ([dl, l, t], a) => {
      crossEntropyShape('cross_entropy_backward', l!, t!, a.ignoreIndex);
      checkDloss('cross_entropy_backward', dl!);
      return [like(l!)];
    },
    encode: async (rec, [dloss, logits, targets], [dlogits], a) => {
      const stats = emptyTensor(rec.ctx, [2], 'f32', 'cross_entropy_backward.stats');
      await crossEntropyBackward(rec, dloss!, logits!, targets!, stats, { ignoreIndex: a.ignoreIndex }, dlogits);
      rec.releaseAfterSubmit(stats);
    },
    backward: 'second derivatives of cross-entropy are not implemented',
    reference: ([dl, l, t], [, tl], a) => [
      ref.crossEntropyBackward(dl![0]!, l!, t!, tl!.shape[0]!, tl!.shape[1]!, a.ignoreIndex),
    ],
  },
});
