// The symbolic graph: static shapes and dtypes, checked as each node is added. A Value is one
// output of a node; leaves are inputs (fed each step), params (trainable, persistent, named) and
// constants. Graphs are built once and compiled into a Plan that the Executor replays.
import { ShapeError, fmtShape } from '../util/errors';
import type { DType } from '../gpu/tensor';
import { opDef, type OpAttrs, type OpName } from '../ops/index';
import type { Sym, TypeInfo } from '../ops/registry_types';

let nextId = 1;

/** One output of a node: the symbolic value backward rules build with (a Sym). */
export class Value implements Sym {
  readonly id = nextId++;
  constructor(
    readonly node: GNode,
    readonly index: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}
  get name(): string {
    const n = this.node;
    if (isOp(n, 'input') || isOp(n, 'param') || isOp(n, 'constant')) return n.attrs.name;
    return n.outputs.length > 1 ? `${n.op}#${n.id}.${this.index}` : `${n.op}#${n.id}`;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  toString(): string {
    return `${this.name}${fmtShape(this.shape)}:${this.dtype}`;
  }
}

export class GNode<K extends OpName = OpName> {
  readonly id = nextId++;
  outputs: Value[] = [];
  constructor(
    readonly op: K,
    readonly inputs: Value[],
    readonly attrs: OpAttrs[K],
  ) {}
}

/** Narrows a node to op `op`, so its attrs are that op's. */
export function isOp<K extends OpName>(n: GNode, op: K): n is GNode<K> {
  return n.op === op;
}

export class Graph {
  readonly nodes: GNode[] = [];
  readonly inputs = new Map<string, Value>();
  readonly params = new Map<string, Value>();
  readonly constants = new Map<string, Value>();

  /** Add a node; its shape rule runs now and throws naming the op and the shapes. */
  apply<K extends OpName>(op: K, inputs: Value[], attrs: OpAttrs[K]): Value[] {
    const def = opDef(op);
    if (!def) throw new Error(`unknown op "${String(op)}"`);
    const variadic = def.inputs.includes('...');
    const required = def.inputs.filter((n) => !n.endsWith('?') && n !== '...').length;
    if (inputs.length < required || (!variadic && inputs.length > def.inputs.length)) {
      throw new ShapeError(op, `takes ${def.inputs.join(', ')} as inputs, got ${inputs.length}`);
    }
    for (const v of inputs) {
      if (!(v instanceof Value)) throw new ShapeError(op, 'an input is not a graph Value');
    }
    const types: TypeInfo[] = inputs.map((v) => ({ shape: [...v.shape], dtype: v.dtype }));
    const outTypes = def.infer(types, attrs);
    const node: GNode = new GNode(op, inputs, attrs);
    node.outputs = outTypes.map((t, i) => new Value(node, i, t.shape, t.dtype));
    this.nodes.push(node);
    return node.outputs;
  }

  /** Apply a single-output op. */
  op<K extends OpName>(op: K, inputs: Value[], attrs: OpAttrs[K]): Value {
    const outs = this.apply(op, inputs, attrs);
    return outs[0]!;
  }

  input(name: string, shape: number[], dtype: DType = 'f32'): Value {
    if (this.inputs.has(name)) throw new ShapeError('input', `an input named "${name}" already exists`);
    const v = this.op('input', [], { name, shape, dtype });
    this.inputs.set(name, v);
    return v;
  }

  /**
   * A persistent tensor; `trainable` params receive gradients and optimizer updates. An init
   * function runs only when some param's initial values are first read (the executor of a graph
   * that owns its weights, the reference), and then every pending one runs in creation order, so
   * the values are those of running them at once; a graph that borrows its weights from another
   * executor (shareParams) never runs them — no second copy of GPT-2's 124M random numbers.
   */
  param(name: string, shape: number[], init: Float32Array | ((n: number) => Float32Array), trainable = true): Value {
    if (this.params.has(name)) throw new ShapeError('param', `a parameter named "${name}" already exists`);
    const n = shape.reduce((a, b) => a * b, 1);
    const bad = (got: number): ShapeError =>
      new ShapeError('param', `"${name}" ${fmtShape(shape)} needs ${n} initial values, got ${got}`);
    let data: Float32Array | null = null;
    if (typeof init === 'function')
      this.pendingInits.push(() => {
        const d = init(n);
        if (d.length !== n) throw bad(d.length);
        data = d;
      });
    else if (init.length !== n) throw bad(init.length);
    else data = init;
    const flush = (): void => this.runInits();
    const attrs = {
      name,
      shape,
      dtype: 'f32' as const,
      trainable,
      get init(): Float32Array {
        if (!data) flush();
        return data!;
      },
    };
    const v = this.op('param', [], attrs);
    this.params.set(name, v);
    return v;
  }

  private readonly pendingInits: (() => void)[] = [];
  private initsRun = 0;

  /** Run every pending init function, in the order the params were created. */
  private runInits(): void {
    while (this.initsRun < this.pendingInits.length) this.pendingInits[this.initsRun++]!();
  }

  constant(name: string, shape: number[], data: ArrayLike<number>, dtype: DType = 'f32'): Value {
    const v = this.op('constant', [], { name, shape, dtype, data: Float64Array.from(data) });
    this.constants.set(name, v);
    return v;
  }

  /** Make every parameter for which `frozen(name)` holds non-trainable: no gradient, no optimizer state. */
  freeze(frozen: (name: string) => boolean): void {
    for (const [name, p] of this.params) if (isOp(p.node, 'param') && frozen(name)) p.node.attrs.trainable = false;
  }

  trainable(): Value[] {
    return [...this.params.values()].filter((p) => isOp(p.node, 'param') && p.node.attrs.trainable);
  }
}
