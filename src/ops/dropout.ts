// dropout: y = x · mask / (1 − p), mask from the counter-based hash of (seed, step, index)
// (16 random bits per element: p has a resolution of 1/65536).
// Backward regenerates the identical mask, so nothing is saved between the passes.
import { ShapeError } from '../util/errors';
import { expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { streamKey } from '../util/prng';
import { expectDType, groups, kernel } from './common';

/** Elements per invocation (2 · PAIRS in shaders/dropout.wgsl). */
const PER_INVOCATION = 4;

export interface DropoutArgs {
  p: number;
  seed: number;
  step: number;
}

function check(op: string, x: Tensor, a: DropoutArgs): void {
  expectDType(op, 'x', x, 'f32');
  if (!(a.p >= 0 && a.p < 1)) throw new ShapeError(op, `p must be in [0, 1), got ${a.p}`);
  for (const k of ['seed', 'step'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 0 || a[k] > 0xffffffff) throw new ShapeError(op, `${k} must be a u32, got ${a[k]}`);
  }
}

async function run(op: string, entry: string, rec: Recorder, x: Tensor, a: DropoutArgs, out?: Tensor): Promise<Tensor> {
  check(op, x, a);
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
