// Views: reshape (same elements, new shape) and stop_gradient (the same value, no gradient). Both
// share their input's buffer: no dispatch, no allocation (OpDef.view).
import { ShapeError, fmtShape } from '../util/errors';
import { checkShape, numel } from '../util/shape';
import { defineOps, like, noEncode, type Typed, type TypeInfo } from './registry_types';

/** reshape's shape rule: `shape` must hold exactly x's elements. */
export function reshapeShape(op: string, x: Typed, shape: readonly number[]): TypeInfo {
  checkShape(op, 'shape', shape);
  if (numel(shape) !== numel(x.shape))
    throw new ShapeError(op, `cannot reshape ${fmtShape(x.shape)} (${numel(x.shape)} elements) to ${fmtShape(shape)}`);
  return { shape: [...shape], dtype: x.dtype };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    reshape: { shape: number[] };
    stop_gradient: NoAttrs;
  }
}

export const reshapeOps = defineOps({
  reshape: {
    inputs: ['x'],
    view: true,
    infer: ([x], a) => [reshapeShape('reshape', x!, a.shape)],
    encode: noEncode,
    // d reshape(x) = dy reshaped back to x's shape
    backward: (b, [x], _, [dy]) => [b.reshape(dy!, x!.shape)],
    reference: ([x]) => [Float64Array.from(x!)],
  },
  stop_gradient: {
    inputs: ['x'],
    view: true,
    infer: ([x]) => [like(x!)],
    encode: noEncode,
    // no gradient flows through
    backward: () => [null],
    reference: ([x]) => [Float64Array.from(x!)],
  },
});
