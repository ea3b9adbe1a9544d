// permute: reorder the axes of a tensor (rank <= 4), e.g. splitting attention heads.
// Backward is the permute by the inverse permutation.
import { ShapeError, fmtShape } from '../util/errors';
import { expectShape, stridesOf } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/permute';

/** permute's shape rule: x f32 of rank <= 4, perm a permutation of its axes; y has the axes in perm's order. */
export function permuteShape(op: string, x: Typed, perm: readonly number[]): TypeInfo {
  expectDType(op, 'x', x, 'f32');
  const shape = x.shape;
  const r = shape.length;
  if (r > 4) throw new ShapeError(op, `rank ${r} tensors ${fmtShape(shape)} are not supported (at most 4 axes)`);
  if (perm.length !== r || [...perm].sort().some((p, i) => p !== i)) {
    throw new ShapeError(op, `perm [${perm.join(', ')}] is not a permutation of the ${r} axes of ${fmtShape(shape)}`);
  }
  return { shape: perm.map((p) => shape[p]!), dtype: 'f32' };
}

// y = x.permute(perm)
export async function permuteForward(
  rec: Recorder,
  x: Tensor,
  perm: readonly number[],
  out?: Tensor,
  op = 'permute',
): Promise<Tensor> {
  const outShape = permuteShape(op, x, perm).shape;
  if (out) expectShape(op, 'out', out.shape, outShape);
  const y = out ?? emptyTensor(rec.ctx, outShape, 'f32', op);
  const n = x.size;
  if (n === 0) return y;
  const pad = 4 - x.shape.length;
  const inStrides = stridesOf(x.shape);
  const shape4 = [...new Array<number>(pad).fill(1), ...outShape];
  const strides4 = [...new Array<number>(pad).fill(0), ...perm.map((p) => inStrides[p]!)];
  const k = await kernel(rec, op, 'permute', 'permute');
  rec.dispatch({
    kernel: k,
    op,
    bindings: { x, y },
    uniforms: { n, out_shape: shape4, in_strides: strides4 },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: 0, bytes: 8 * n },
  });
  return y;
}

// dx = dy.permute(perm⁻¹)
export function permuteBackward(rec: Recorder, dy: Tensor, perm: readonly number[], out?: Tensor): Promise<Tensor> {
  return permuteForward(rec, dy, ref.inversePerm(perm), out, 'permute_backward');
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    permute: { perm: number[] };
  }
}

export const permuteOps = defineOps({
  permute: {
    inputs: ['x'],
    infer: ([x], a) => [permuteShape('permute', x!, a.perm)],
    encode: async (rec, [x], [y], a) => void (await permuteForward(rec, x!, a.perm, y)),
    // d permute(x, p) = permute(dy, p⁻¹)
    backward: (b, _, __, [dy], a) => [b.permute(dy!, ref.inversePerm(a.perm))],
    reference: ([x], [t], a) => [ref.permuteForward(x!, t!.shape, a.perm)],
  },
});
