// The eager ops: every kernel launcher of src/ops, by op file. A launcher records its dispatches
// into a Recorder (src/gpu/recorder.ts) on tensors the caller owns, checks its inputs with the
// same shape rule the graph op uses (src/ops/<op>.ts), and takes its variant and tuning
// constants from ctx.tuning (src/gpu/tuning.ts) unless the call overrides them.
//
// OPS, at the bottom, is the graph op registry: every op's shape rule, GPU encoder, backward rule
// (or the reason it has none) and float64 reference, assembled from the op files. Its mapped type
// over OpName makes a missing op a compile error. Adding an op: README, "How to add an op".
import type { OpDef } from './registry_types';
import type { OpName } from './attrs';
import { leafOps } from './leaves';
import { reshapeOps } from './reshape';
import { permuteOps } from './permute';
import { matmulOps } from './matmul';
import { linearOps } from './linear';
import { elementwiseOps } from './elementwise';
import { reduceOps } from './reduce';
import { sumToOps } from './sum_to';
import { softmaxOps } from './softmax';
import { layernormOps } from './layernorm';
import { attentionOps } from './attention';
import { crossEntropyOps } from './cross_entropy';
import { embeddingOps } from './embedding';
import { dropoutOps } from './dropout';
import { clipOps } from './clip';
import { optimizerOps } from './optimizer';
import { kvCacheOps } from './kv_cache';

// matmul (and linear's kernel): out = op(a)·op(b) + bias, batched, every transposed form
export {
  matmulForward,
  matmulBackward,
  type MatmulOptions,
  type MatmulBackwardOptions,
  type MatmulGrads,
} from './matmul';
export { type MatmulVariant, type MatmulKernel, type MatmulTiles } from './matmul_kernel';
// elementwise: activations and their backward, y = αx + β in place, broadcasting add / sub / mul / div
export {
  unaryForward,
  unaryBackward,
  affineInPlace,
  binaryForward,
  binaryBackward,
  UNARY_SAVES,
  type UnaryOp,
  type BinaryOp,
  type UnaryParams,
} from './elementwise';
// reductions over the last axis, sums over rows and broadcast axes, the global norm and clipping
export {
  sumLastForward,
  sumLastBackward,
  meanLastForward,
  meanLastBackward,
  maxLastForward,
  maxLastBackward,
} from './reduce';
export { sumToShape, sumRowsForward, sumRowsBackward } from './sum_to';
export { globalNorm, clipScale, clipGradNorm, type ClipArgs } from './clip';
// fused layers
export { softmaxForward, softmaxBackward, type SoftmaxArgs } from './softmax';
export {
  layernormForward,
  layernormBackward,
  layernormWorkspaceShape,
  type LayernormArgs,
  type LayernormOutputs,
  type LayernormGrads,
  type LayernormBackwardOutputs,
} from './layernorm';
export { attentionForward, attentionBackward, ATTENTION_MAX_HEAD_DIM, type AttentionOptions } from './attention';
export {
  crossEntropyForward,
  crossEntropyBackward,
  crossEntropyFused,
  DEFAULT_IGNORE_INDEX,
  type CrossEntropyOptions,
  type CrossEntropyOutputs,
  type CrossEntropyFusedOutputs,
} from './cross_entropy';
export {
  embeddingForward,
  embeddingBackward,
  scatterAddRows,
  scatterPlan,
  EmbeddingWorkspace,
  type ScatterOptions,
  type ScatterPlan,
} from './embedding';
export { dropoutForward, dropoutBackward, type DropoutArgs } from './dropout';
// layout
export { permuteForward, permuteBackward } from './permute';
// training: optimizer updates in place
export {
  adamStep,
  sgdStep,
  adamStepDispatch,
  sgdStepDispatch,
  StepScalars,
  type AdamOptions,
  type SgdOptions,
} from './optimizer';
// GPT decoding: the KV cache
export { kvCacheForward, kvCacheStore } from './kv_cache';
// word2vec: the negative-sampling minibatch step
export { W2vBuffers, w2vGrads, w2vStep } from './word2vec';

// ---- the graph op registry ----------------------------------------------------------------

export type { OpAttrs, OpName } from './attrs';

export const OPS: { [K in OpName]: OpDef<K> } = {
  ...leafOps,
  ...reshapeOps,
  ...permuteOps,
  ...matmulOps,
  ...linearOps,
  ...elementwiseOps,
  ...reduceOps,
  ...sumToOps,
  ...softmaxOps,
  ...layernormOps,
  ...attentionOps,
  ...crossEntropyOps,
  ...embeddingOps,
  ...dropoutOps,
  ...clipOps,
  ...optimizerOps,
  ...kvCacheOps,
};

/** The definition of op `op`, typed by its name (so its attrs type follows). */
export function opDef<K extends OpName>(op: K): OpDef<K> {
  return OPS[op];
}
