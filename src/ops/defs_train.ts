// Graph op definitions of the training step: the global gradient norm, in-place clipping, and
// the optimizer updates (effects: they update their inputs in place and run after every other
// node). Per-step values (lr, bias corrections, t) come from a 4-float input the trainer writes
// each step, so the captured step never changes.
import { ShapeError, fmtShape } from '../util/errors';
import { sameShape } from '../util/shape';
import type { OpAttrs } from './attrs';
import type { OpDef, TypeInfo } from './registry_types';
import { globalNorm, clipScale } from './reduce';
import * as red from '../reference/reduce';
import { adamStep, sgdStep, StepScalars } from './optimizer';
import * as optRef from '../reference/optimizer';

type Def<K extends keyof OpAttrs> = OpDef<OpAttrs[K], OpAttrs>;

function checkState(op: string, names: string[], ins: TypeInfo[]): void {
  const p = ins[0]!;
  names.forEach((n, i) => {
    const t = ins[i]!;
    if (t.dtype !== 'f32' || !sameShape(t.shape, p.shape)) throw new ShapeError(op, `${n} ${fmtShape(t.shape)} must be f32 shaped like param ${fmtShape(p.shape)}`);
  });
  const s = ins[names.length]!;
  if (!sameShape(s.shape, [4])) throw new ShapeError(op, `scalars must be [4] = [lr, 1−β1^t, 1−β2^t, t], got ${fmtShape(s.shape)}`);
}

export const trainOps: { [K in 'global_norm' | 'clip_scale' | 'adam' | 'sgd']: Def<K> } = {
  global_norm: {
    inputs: ['...'],
    infer: () => [{ shape: [1], dtype: 'f32' }],
    encode: async (rec, ins, [out]) => void (await globalNorm(rec, ins, out)),
    backward: 'the gradient norm is not differentiated',
    reference: (ins) => [Float64Array.of(red.globalNorm(ins))],
  },
  clip_scale: {
    inputs: ['norm', '...'],
    infer: ([norm]) => {
      if (!sameShape(norm!.shape, [1])) throw new ShapeError('clip_scale', `norm must be [1], got ${fmtShape(norm!.shape)}`);
      return [];
    },
    effect: (n) => Array.from({ length: n - 1 }, (_, i) => i + 1),
    encode: async (rec, [norm, ...grads], _, a) => void (await clipScale(rec, grads, norm!, { maxNorm: a.maxNorm, eps: a.eps })),
    backward: 'clipping is an in-place update',
    reference: ([norm, ...grads], _, a) => red.clipScale(grads, norm![0]!, a.maxNorm, a.eps ?? 1e-6),
  },
  adam: {
    inputs: ['param', 'grad', 'm', 'v', 'scalars'],
    infer: (ins) => {
      checkState('adam', ['param', 'grad', 'm', 'v'], ins);
      return [];
    },
    effect: () => [0, 2, 3],
    encode: async (rec, [p, g, m, v, s], _, a) => {
      const scalars = new StepScalars(rec.ctx, a.beta1, a.beta2, 'adam.scalars', s!);
      await adamStep(rec, p!, g!, m!, v!, scalars, { beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weightDecay, decoupled: a.decoupled });
    },
    backward: 'an optimizer update is not differentiated',
    reference: ([p, g, m, v, s], _, a) => {
      const r = optRef.adamStep(p!, g!, m!, v!, a, s![0]!, s![3]!);
      return [r.p, r.m, r.v];
    },
  },
  sgd: {
    inputs: ['param', 'grad', 'buf', 'scalars'],
    infer: (ins) => {
      checkState('sgd', ['param', 'grad', 'buf'], ins);
      return [];
    },
    effect: () => [0, 2],
    encode: async (rec, [p, g, buf, s], _, a) => {
      const scalars = new StepScalars(rec.ctx, 0.9, 0.999, 'sgd.scalars', s!);
      await sgdStep(rec, p!, g!, a.momentum === 0 ? null : buf!, scalars, a);
    },
    backward: 'an optimizer update is not differentiated',
    reference: ([p, g, buf, s], _, a) => {
      const r = optRef.sgdStep(p!, g!, buf!, a, s![0]!, s![3]!);
      return [r.p, r.buf];
    },
  },
};
