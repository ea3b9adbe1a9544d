// Helpers shared by the op modules: kernel lookup through the pipeline cache, flat grid sizes
// and the usual validation of float inputs.
import type { Recorder } from '../gpu/recorder';
import type { CompiledKernel, Constants } from '../gpu/pipelines';
import type { DType } from '../gpu/tensor';
import type { Typed } from './registry_types';
import { ShapeError, fmtShape } from '../util/errors';

export function kernel(
  rec: Recorder,
  op: string,
  shader: string,
  entry: string,
  constants?: Constants,
  prelude?: string,
): Promise<CompiledKernel> {
  return rec.ctx.pipelines.get({ shader, entry, constants, prelude }, op);
}

/** Workgroups for `n` items at `perGroup` items per workgroup. */
export function groups(n: number, perGroup: number): number {
  return Math.ceil(n / perGroup);
}

export function expectDType(op: string, name: string, t: Typed, dtype: DType): void {
  if (t.dtype !== dtype)
    throw new ShapeError(op, `${name} ${fmtShape(t.shape)} has dtype ${t.dtype}, expected ${dtype}`);
}

/** (R, C) of a shape over its last axis as the references take it: C = 1 at rank 0, R = 0 when C = 0. */
export function refRows(shape: readonly number[]): { R: number; C: number } {
  const C = shape[shape.length - 1] ?? 1;
  let n = 1;
  for (const d of shape) n *= d;
  return { R: C === 0 ? 0 : n / C, C };
}

/** Largest value a u32 uniform field can carry for an element count. */
export const MAX_U32 = 0xffffffff;
