// The unary ops every elementwise test runs (the reference's own table, so a new op is tested
// without being listed again) and the non-default parameters they run with.
import { UNARY_SAVES, type UnaryOp, type UnaryParams } from '../../src/reference/elementwise';

export const UNARY = Object.keys(UNARY_SAVES) as UnaryOp[];

export const PARAMS: Partial<Record<UnaryOp, UnaryParams>> = {
  leaky_relu: { alpha: 0.1 },
  elu: { alpha: 0.7 },
  affine: { alpha: -1.5, beta: 0.25 },
};
