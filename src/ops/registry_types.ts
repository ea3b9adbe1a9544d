// The shape of an op definition. Every op of the graph has: a shape/dtype rule (run as each node
// is added, throwing ShapeError naming the op and the shapes; the eager launcher calls the same
// function), a GPU encoder (dispatches into a Recorder with preallocated outputs), a backward rule
// written through a GradBuilder (so this layer never imports the graph), or an explicit reason it
// has none, and a float64 reference. Each op's definition lives in src/ops/<op>.ts.
import type { Recorder } from '../gpu/recorder';
import type { Tensor, DType } from '../gpu/tensor';
import type { OpAttrs, OpName } from './attrs';

/** What a shape rule reads of a value: a graph Value, a TypeInfo or a GPU Tensor. */
export interface Typed {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A shape rule's result: one output's shape and dtype. */
export interface TypeInfo {
  shape: number[];
  dtype: DType;
}

/** The symbolic value backward rules build with (a graph Value, made by the graph). */
export interface Sym extends Typed {
  readonly id: number;
}

/**
 * Builds new graph nodes from inside a backward rule. Every helper adds nodes of the ops of this
 * registry, so a rule reads as its formula: `b.mul(dy, b.sub(one, b.mul(y, y)))`.
 */
export interface GradBuilder {
  /** Any op by name with its typed attributes; all of its outputs. */
  apply<K extends OpName>(op: K, inputs: readonly Sym[], attrs: OpAttrs[K]): Sym[];
  /** A single-output op by name. */
  op<K extends OpName>(op: K, inputs: readonly Sym[], attrs: OpAttrs[K]): Sym;
  /** x + y, x − y, x·y, x / y with broadcasting (op `binary`). */
  add(x: Sym, y: Sym): Sym;
  sub(x: Sym, y: Sym): Sym;
  mul(x: Sym, y: Sym): Sym;
  div(x: Sym, y: Sym): Sym;
  /** −x (op `unary` affine, α = −1). */
  neg(x: Sym): Sym;
  /** s·x (op `unary` affine, α = s). */
  scale(x: Sym, s: number): Sym;
  /** g summed over its broadcast axes down to `shape`; g itself when it already has that shape. */
  sumTo(g: Sym, shape: readonly number[]): Sym;
  reshape(x: Sym, shape: readonly number[]): Sym;
  permute(x: Sym, perm: readonly number[]): Sym;
  /** op(x)·op(y) (op `matmul`). */
  matmul(x: Sym, y: Sym, transA: boolean, transB: boolean): Sym;
  /** A constant of `shape` filled with `value`. */
  fill(shape: readonly number[], value: number): Sym;
}

/** Gradients of the inputs from the upstream gradients of the outputs (null: none flows). */
export type Backward<K extends OpName> = (
  b: GradBuilder,
  ins: readonly Sym[],
  outs: readonly Sym[],
  douts: readonly (Sym | null)[],
  a: OpAttrs[K],
) => (Sym | null)[];

export interface OpDef<K extends OpName> {
  /** Input names, for error messages (length = arity; '...' for variadic; 'name?' optional). */
  inputs: readonly string[];
  infer(ins: readonly TypeInfo[], a: OpAttrs[K]): TypeInfo[];
  /** Record the dispatches computing `outs` from `ins` (tensors preallocated by the planner). */
  encode(rec: Recorder, ins: Tensor[], outs: Tensor[], a: OpAttrs[K]): Promise<void>;
  /** Gradients of the inputs, or a string saying why the op has none. */
  backward: Backward<K> | string;
  /** Float64 reference: outputs from inputs (flat, row-major). */
  reference(ins: Float64Array[], types: TypeInfo[], a: OpAttrs[K]): Float64Array[];
  /** Output 0 shares input 0's buffer (reshape): no dispatch, no allocation. */
  view?: boolean;
  /**
   * Indices of the inputs this op updates in place (optimizers). Such an op has no outputs, is
   * scheduled after every other node, and its reference returns the new values of those inputs.
   */
  effect?: (inputCount: number) => number[];
  /** Uniform fields rewritten before every replayed step (e.g. dropout's per-step key). */
  perStep?(a: OpAttrs[K], step: number): Record<string, number>;
}

/** The definitions of some ops, keyed by name (each op file exports one such table). */
export type OpDefs<K extends OpName> = { [P in K]: OpDef<P> };

/** Type a table of op definitions: the keys must be op names and each entry that op's OpDef. */
export function defineOps<K extends OpName>(defs: OpDefs<K>): OpDefs<K> {
  return defs;
}

/** An output typed like `t` (a fresh shape array). */
export function like(t: Typed): TypeInfo {
  return { shape: [...t.shape], dtype: t.dtype };
}

/** For ops without a dispatch (leaves, views). */
export const noEncode = async (): Promise<void> => {};
