// The op registry: every graph op's shape rule, GPU encoder, backward rule (or the reason it has
// none) and float64 reference. The mapped type makes a missing op a compile error.
import type { OpDef } from './registry_types';
import type { OpAttrs, OpName } from './attrs';
import { basicOps, mathOps } from './defs_basic';
import { nnOps } from './defs_nn';
import { trainOps } from './defs_train';
import { gptOps } from './defs_gpt';

export type { OpAttrs, OpName } from './attrs';

export const OPS: { [K in OpName]: OpDef<OpAttrs[K], OpAttrs> } = {
  ...basicOps,
  ...mathOps,
  ...nnOps,
  ...trainOps,
  ...gptOps,
};
