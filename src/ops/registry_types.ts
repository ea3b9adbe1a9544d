// The shape of an op definition. Every op of the graph has: a shape/dtype rule (run as each node
// is added, throwing ShapeError naming the op and the shapes), a GPU encoder (dispatches into a
// Recorder with preallocated outputs), a backward rule expressed through a GradBuilder (so this
// layer never imports the graph), or an explicit reason it has none, and a float64 reference.
import type { Recorder } from '../gpu/recorder';
import type { Tensor, DType } from '../gpu/tensor';

export interface TypeInfo {
  shape: number[];
  dtype: DType;
}

/** What backward rules see of a graph value. */
export interface Sym {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Builds new graph nodes from inside a backward rule. */
export interface GradBuilder<V extends Sym, Attrs> {
  apply<K extends keyof Attrs>(op: K, inputs: V[], attrs: Attrs[K]): V[];
}

export type Backward<A, Attrs> = <V extends Sym>(b: GradBuilder<V, Attrs>, ins: V[], outs: V[], douts: (V | null)[], a: A) => (V | null)[];

export interface OpDef<A, Attrs> {
  /** Input names, for error messages (length = arity; '...' for variadic). */
  inputs: readonly string[];
  infer(ins: TypeInfo[], a: A): TypeInfo[];
  /** Record the dispatches computing `outs` from `ins` (tensors preallocated by the planner). */
  encode(rec: Recorder, ins: Tensor[], outs: Tensor[], a: A): Promise<void>;
  /** Gradients of the inputs, or a string saying why the op has none. */
  backward: Backward<A, Attrs> | string;
  /** Float64 reference: outputs from inputs (flat, row-major). */
  reference(ins: Float64Array[], types: TypeInfo[], a: A): Float64Array[];
  /** Output 0 shares input 0's buffer (reshape): no dispatch, no allocation. */
  view?: boolean;
  /**
   * Indices of the inputs this op updates in place (optimizers). Such an op has no outputs, is
   * scheduled after every other node, and its reference returns the new values of those inputs.
   */
  effect?: (inputCount: number) => number[];
  /** Uniform fields rewritten before every replayed step (e.g. dropout's per-step key). */
  perStep?(a: A, step: number): Record<string, number>;
  /** Flop and byte counts for the profiler. */
  cost?(ins: TypeInfo[], a: A): { flops: number; bytes: number };
}
