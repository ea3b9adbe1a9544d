// The attributes of every graph op, by name. OpName is the closed set of graph ops; the
// registry (src/ops/registry.ts) must define each one or `tsc` fails.
import type { DType } from '../gpu/tensor';
import type { BinaryOp, UnaryOp } from '../reference/elementwise';

type None = Record<string, never>;

export interface OpAttrs {
  // leaves
  input: { name: string; shape: number[]; dtype: DType };
  param: { name: string; shape: number[]; dtype: 'f32'; init: Float32Array; trainable: boolean };
  constant: { name: string; shape: number[]; dtype: DType; data: Float64Array };
  fill: { shape: number[]; value: number };
  // layout
  reshape: { shape: number[] };
  stop_gradient: None;
  permute: { perm: number[] };
  // linear algebra
  matmul: { transA?: boolean; transB?: boolean };
  /** y = x·w + bias (w stored (out, in) when transB), the bias fused into the matmul epilogue. */
  linear: { transB?: boolean };
  // elementwise
  binary: { op: BinaryOp };
  unary: { op: UnaryOp; alpha?: number; beta?: number };
  /** (dy, saved) → dx, saved being the x or y the unary op keeps (UNARY_SAVES). */
  unary_backward: { op: UnaryOp; alpha?: number; beta?: number };
  // reductions
  sum_to: { shape: number[] };
  sum_last: None;
  mean_last: None;
  sum_rows: None;
  /** (dy) → dy broadcast back over the reduced axis of the forward input's `shape`. */
  sum_last_backward: { shape: number[] };
  mean_last_backward: { shape: number[] };
  sum_rows_backward: { shape: number[] };
  // fused layers
  softmax: { scale?: number; causal?: boolean };
  softmax_backward: { scale?: number; causal?: boolean };
  layernorm: { eps: number };
  layernorm_backward: { eps: number };
  attention: { causal: boolean; scale?: number };
  attention_backward: { causal: boolean; scale?: number };
  cross_entropy: { ignoreIndex: number };
  cross_entropy_backward: { ignoreIndex: number };
  embedding: None;
  embedding_backward: { vocab: number };
  dropout: { p: number; seed: number };
  dropout_backward: { p: number; seed: number };
  // training
  global_norm: None;
  clip_scale: { maxNorm: number; eps?: number };
  adam: { beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean };
  sgd: { momentum: number; dampening: number; nesterov: boolean; weightDecay: number };
  // GPT decoding (src/ops/defs_gpt.ts)
  kv_cache: None;
  kv_cache_store: None;
}

export type OpName = keyof OpAttrs;
