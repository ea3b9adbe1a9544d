// Gradient clipping on the GPU: global_norm (the L2 norm of a list of tensors, one number) and
// clip_scale (scale every tensor in place by min(1, maxNorm / (norm + eps)), the norm read on the
// GPU: no readback). The norm uses the deterministic sum_last passes of src/ops/reduce.ts.
import { ShapeError, fmtShape } from '../util/errors';
import { numel } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { Tensor } from '../gpu/tensor';
import { groups, kernel } from './common';
import { checkF32, lastPlan, outTensor, sumLastPass, sumLastPasses, temp } from './reduce';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/reduce';

/** global_norm's shape rule: every tensor f32; out is (1). */
export function globalNormShape(op: string, tensors: readonly Typed[]): TypeInfo {
  tensors.forEach((t, i) => checkF32(op, `tensors[${i}]`, t));
  return { shape: [1], dtype: 'f32' };
}

// out is (1): √(Σ_t Σ_i t_i²) over the list (each tensor's pieces, then one tree over all pieces)
export async function globalNorm(rec: Recorder, tensors: readonly Tensor[], out?: Tensor): Promise<Tensor> {
  const op = 'global_norm';
  globalNormShape(op, tensors);
  const y = outTensor(rec, op, [1], out, 'f32', [...tensors]);
  const live = tensors.filter((t) => t.size > 0);
  const plans = live.map((t) => lastPlan(rec.ctx.tuning, 1, t.size).chunks);
  const total = plans.reduce((a, b) => a + b, 0);
  if (total === 0) {
    rec.clear(y);
    return y;
  }
  if (total === 1) {
    await sumLastPass(rec, op, live[0]!, 1, live[0]!.size, { square: true, sqrt: true }, y, 0);
    return y;
  }
  const partials = temp(rec, total, `${op}.partials`);
  let offset = 0;
  for (const t of live) offset += await sumLastPass(rec, op, t, 1, t.size, { square: true }, partials, offset);
  await sumLastPasses(rec, op, partials, 1, total, { sqrt: true }, y);
  return y;
}

export interface ClipArgs {
  maxNorm: number;
  /** Added to the norm before dividing (default 1e-6). */
  eps?: number;
}

function checkClip(op: string, tensors: readonly Typed[], a: ClipArgs): number {
  const eps = a.eps ?? 1e-6;
  if (!(a.maxNorm > 0 && Number.isFinite(a.maxNorm)))
    throw new ShapeError(op, `maxNorm must be a positive finite number, got ${a.maxNorm}`);
  if (!(eps >= 0 && Number.isFinite(eps)))
    throw new ShapeError(op, `eps must be a non-negative finite number, got ${eps}`);
  tensors.forEach((t, i) => checkF32(op, `tensors[${i}]`, t));
  return eps;
}

/** clip_scale's shape rule: a positive finite maxNorm, eps ≥ 0, f32 tensors and a one-element f32 norm; no outputs (in place). */
export function clipScaleShape(op: string, norm: Typed, tensors: readonly Typed[], a: ClipArgs): { eps: number } {
  const eps = checkClip(op, tensors, a);
  checkF32(op, 'norm', norm);
  if (numel(norm.shape) !== 1) throw new ShapeError(op, `norm ${fmtShape(norm.shape)} must hold exactly one element`);
  return { eps };
}

// each tensor t ← t · min(1, maxNorm / (norm + eps)), norm a (1) tensor read on the GPU; a NaN
// norm turns the tensors NaN (the problem stays visible), an infinite one zeroes them
export async function clipScale(rec: Recorder, tensors: readonly Tensor[], norm: Tensor, a: ClipArgs): Promise<void> {
  const op = 'clip_scale';
  const { eps } = clipScaleShape(op, norm, tensors, a);
  tensors.forEach((t, i) => {
    if (t.buffer === norm.buffer) throw new ShapeError(op, `tensors[${i}] is the norm tensor itself`);
  });
  const WG = rec.ctx.tuning['reduce.wg'];
  const k = await kernel(rec, op, 'reduce', 'clip_scale', { WG });
  for (const g of tensors) {
    if (g.size === 0) continue;
    const n = g.size;
    const cost = { flops: n, bytes: 8 * n };
    rec.dispatch({
      kernel: k,
      op,
      bindings: { norm, g },
      uniforms: { n, max_norm: a.maxNorm, eps },
      workgroups: groups(n, WG),
      cost,
    });
  }
}

/** Gradient clipping: the global norm of `grads`, then scale them in place; returns the norm (1). */
export async function clipGradNorm(rec: Recorder, grads: readonly Tensor[], a: ClipArgs): Promise<Tensor> {
  checkClip('clip_grad_norm', grads, a);
  const norm = await globalNorm(rec, grads);
  await clipScale(rec, grads, norm, a);
  return norm;
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    global_norm: NoAttrs;
    clip_scale: { maxNorm: number; eps?: number };
  }
}

export const clipOps = defineOps({
  global_norm: {
    inputs: ['...'],
    infer: (ins) => [globalNormShape('global_norm', ins)],
    encode: async (rec, ins, [out]) => void (await globalNorm(rec, ins, out)),
    backward: 'the gradient norm is not differentiated',
    reference: (ins) => [Float64Array.of(ref.globalNorm(ins))],
  },
  clip_scale: {
    inputs: ['norm', '...'],
    infer: ([norm, ...grads], a) => {
      clipScaleShape('clip_scale', norm!, grads, a);
      return [];
    },
    effect: (n) => Array.from({ length: n - 1 }, (_, i) => i + 1),
    encode: async (rec, [norm, ...grads], _, a) =>
      void (await clipScale(rec, grads, norm!, { maxNorm: a.maxNorm, eps: a.eps })),
    backward: 'clipping is an in-place update',
    reference: ([norm, ...grads], _, a) => ref.clipScale(grads, norm![0]!, a.maxNorm, a.eps ?? 1e-6),
  },
});
