// The leaves of a graph: inputs (fed every step), parameters (persistent, named), constants and
// filled constants. They have no dispatch (the executor creates and writes their buffers) and no
// inputs, so nothing to differentiate.
import { ShapeError, fmtShape } from '../util/errors';
import { checkShape, numel } from '../util/shape';
import type { DType } from '../gpu/tensor';
import { defineOps, noEncode, type TypeInfo } from './registry_types';

/** A leaf's one output: `shape` must be non-negative integers. */
export function leafShape(op: string, shape: readonly number[], dtype: DType): TypeInfo[] {
  checkShape(op, 'shape', shape);
  return [{ shape: [...shape], dtype }];
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    input: { name: string; shape: number[]; dtype: DType };
    param: { name: string; shape: number[]; dtype: 'f32'; init: Float32Array; trainable: boolean };
    constant: { name: string; shape: number[]; dtype: DType; data: Float64Array };
    fill: { shape: number[]; value: number };
  }
}

export const leafOps = defineOps({
  input: {
    inputs: [],
    infer: (_, a) => leafShape('input', a.shape, a.dtype),
    encode: noEncode,
    backward: 'an input has no inputs',
    reference: () => {
      throw new Error('inputs are fed, not computed');
    },
  },
  param: {
    inputs: [],
    infer: (_, a) => leafShape('param', a.shape, 'f32'),
    encode: noEncode,
    backward: 'a parameter has no inputs',
    reference: (_, __, a) => [Float64Array.from(a.init)],
  },
  constant: {
    inputs: [],
    infer: (_, a) => {
      if (a.data.length !== numel(a.shape))
        throw new ShapeError(
          'constant',
          `"${a.name}" ${fmtShape(a.shape)} needs ${numel(a.shape)} values, got ${a.data.length}`,
        );
      return leafShape('constant', a.shape, a.dtype);
    },
    encode: noEncode,
    backward: 'a constant has no inputs',
    reference: (_, __, a) => [Float64Array.from(a.data)],
  },
  fill: {
    inputs: [],
    infer: (_, a) => leafShape('fill', a.shape, 'f32'),
    encode: noEncode,
    backward: 'a filled constant has no inputs',
    reference: (_, __, a) => [new Float64Array(numel(a.shape)).fill(a.value)],
  },
});
