// dropout: y = x · mask / (1 − p), mask from the counter-based hash of (seed, step, index)
// (16 random bits per element: p has a resolution of 1/65536).
// Backward regenerates the identical mask, so nothing is saved between the passes.
import { ShapeError } from '../util/errors';
import { expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { streamKey } from '../util/prng';
import { expectDType, groups, kernel } from './common';
import { defineOps, like, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/dropout';

/** Elements per invocation (2 · PAIRS in shaders/dropout.wgsl). */
const PER_INVOCATION = 4;

export interface DropoutArgs {
  p: number;
  seed: number;
  step: number;
}

/** dropout's (and its backward's) shape rule: x f32, p in [0, 1), seed and step u32; y like x. */
export function dropoutShape(op: string, x: Typed, a: DropoutArgs): TypeInfo {
  expectDType(op, 'x', x, 'f32');
  if (!(a.p >= 0 && a.p < 1)) throw new ShapeError(op, `p must be in [0, 1), got ${a.p}`);
  for (const k of ['seed', 'step'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 0 || a[k] > 0xffffffff)
      throw new ShapeError(op, `${k} must be a u32, got ${a[k]}`);
  }
  return like(x);
}

async function run(op: string, entry: string, rec: Recorder, x: Tensor, a: DropoutArgs, out?: Tensor): Promise<Tensor> {
  dropoutShape(op, x, a);
  if (out) expectShape(op, 'out', out.shape, x.shape);
  const k = await kernel(rec, op, 'dropout', entry);
  const y = out ?? emptyTensor(rec.ctx, x.shape, 'f32', op);
  const n = x.size;
  rec.dispatch({
    kernel: k,
    op,
    bindings: { x, y },
    uniforms: { n, key: streamKey(a.seed, a.step), p: a.p, scale: 1 / (1 - a.p) },
    workgroups: groups(n, k.workgroupSize[0] * PER_INVOCATION),
    cost: { flops: n, bytes: 8 * n },
  });
  return y;
}

export function dropoutForward(rec: Recorder, x: Tensor, a: DropoutArgs, out?: Tensor): Promise<Tensor> {
  return run('dropout', 'dropout_fwd', rec, x, a, out);
}

export function dropoutBackward(rec: Recorder, dy: Tensor, a: DropoutArgs, out?: Tensor): Promise<Tensor> {
  return run('dropout_backward', 'dropout_bwd', rec, dy, a, out);
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    dropout: { p: number; seed: number };
    dropout_backward: { p: number; seed: number };
  }
}

export const dropoutOps = defineOps({
  dropout: {
    inputs: ['x'],
    infer: ([x], a) => [dropoutShape('dropout', x!, { p: a.p, seed: a.seed, step: 0 })],
    encode: async (rec, [x], [y], a) => void (await dropoutForward(rec, x!, { p: a.p, seed: a.seed, step: 0 }, y)),
    // dx = dy·mask/(1−p): the mask is regenerated from (seed, step), nothing saved
    backward: (b, _, __, [dy], a) => [b.op('dropout_backward', [dy!], a)],
    perStep: (a, step) => ({ key: streamKey(a.seed, step) }),
    reference: ([x], __, a) => [ref.dropoutForward(x!, a.p, a.seed, 0)],
  },
  dropout_backward: {
    inputs: ['dy'],
    infer: ([dy], a) => [dropoutShape('dropout_backward', dy!, { p: a.p, seed: a.seed, step: 0 })],
    encode: async (rec, [dy], [dx], a) => void (await dropoutBackward(rec, dy!, { p: a.p, seed: a.seed, step: 0 }, dx)),
    // linear in dy with the same mask: its vector-Jacobian product is itself
    backward: (b, _, __, [g], a) => [b.op('dropout_backward', [g!], a)],
    perStep: (a, step) => ({ key: streamKey(a.seed, step) }),
    reference: ([dy], __, a) => [ref.dropoutBackward(dy!, a.p, a.seed, 0)],
  },
});
