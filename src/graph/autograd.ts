// Reverse-mode autograd as a graph-to-graph transform: walk the nodes that lead to the loss in
// reverse order, call each op's backward rule (which adds new nodes through the GradBuilder
// below), and sum the contributions of a value used more than once (tied weights). Rules build
// gradients for all inputs; the planner drops the nodes no root needs.
import { ShapeError, fmtShape } from '../util/errors';
import { sameShape } from '../util/shape';
import { opDef, type OpAttrs, type OpName } from '../ops/index';
import type { GradBuilder, Sym } from '../ops/registry_types';
import { Graph, Value, type GNode } from './graph';

/** A backward rule's value is a Value of this graph (rules only build through the builder). */
function asValue(op: string, s: Sym): Value {
  if (s instanceof Value) return s;
  throw new ShapeError(op, `a backward rule returned a value that is not a graph Value (shape ${fmtShape(s.shape)})`);
}

/** The GradBuilder of graph `g`: every helper adds nodes to `g`. */
export function gradBuilder(g: Graph): GradBuilder {
  const apply = <K extends OpName>(op: K, inputs: readonly Sym[], attrs: OpAttrs[K]): Value[] =>
    g.apply(
      op,
      inputs.map((s) => asValue(op, s)),
      attrs,
    );
  const op = <K extends OpName>(name: K, inputs: readonly Sym[], attrs: OpAttrs[K]): Value =>
    apply(name, inputs, attrs)[0]!;
  return {
    apply,
    op,
    add: (x, y) => op('binary', [x, y], { op: 'add' }),
    sub: (x, y) => op('binary', [x, y], { op: 'sub' }),
    mul: (x, y) => op('binary', [x, y], { op: 'mul' }),
    div: (x, y) => op('binary', [x, y], { op: 'div' }),
    neg: (x) => op('unary', [x], { op: 'affine', alpha: -1, beta: 0 }),
    scale: (x, s) => op('unary', [x], { op: 'affine', alpha: s, beta: 0 }),
    sumTo: (x, shape) => (sameShape(x.shape, shape) ? x : op('sum_to', [x], { shape: [...shape] })),
    reshape: (x, shape) => op('reshape', [x], { shape: [...shape] }),
    permute: (x, perm) => op('permute', [x], { perm: [...perm] }),
    matmul: (x, y, transA, transB) => op('matmul', [x, y], { transA, transB }),
    fill: (shape, value) => op('fill', [], { shape: [...shape], value }),
  };
}

/** The set of values that depend on any of `wrt` (through differentiable ops). */
function dependents(g: Graph, wrt: Value[]): Set<Value> {
  const dep = new Set<Value>(wrt);
  for (const n of g.nodes) {
    if (n.op === 'stop_gradient') continue;
    if (n.inputs.some((v) => dep.has(v))) for (const o of n.outputs) dep.add(o);
  }
  return dep;
}

function ancestors(loss: Value): Set<GNode> {
  const seen = new Set<GNode>();
  const stack: GNode[] = [loss.node];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const v of n.inputs) stack.push(v.node);
  }
  return seen;
}

/**
 * Gradients of `loss` (a one-element value unless `seed` gives its upstream gradient) with
 * respect to each of `wrt`. A value in `wrt` that the loss does not depend on gets zeros.
 */
export function gradients(g: Graph, loss: Value, wrt: Value[], seed?: Value): Value[] {
  if (!seed && loss.size !== 1)
    throw new ShapeError(
      'gradients',
      `the loss must have one element, got ${fmtShape(loss.shape)}; pass a seed gradient`,
    );
  if (seed && !sameShape(seed.shape, loss.shape))
    throw new ShapeError('gradients', `seed ${fmtShape(seed.shape)} does not match loss ${fmtShape(loss.shape)}`);
  const need = dependents(g, wrt);
  const onPath = ancestors(loss);
  const contrib = new Map<Value, Value[]>();
  contrib.set(loss, [seed ?? g.op('fill', [], { shape: [...loss.shape], value: 1 })]);
  const b = gradBuilder(g);
  const total = (v: Value): Value | null => {
    const c = contrib.get(v);
    if (!c || c.length === 0) return null;
    let s = c[0]!;
    for (let i = 1; i < c.length; i++) s = g.op('binary', [s, c[i]!], { op: 'add' });
    contrib.set(v, [s]);
    return s;
  };
  const nodes = g.nodes.filter((n) => onPath.has(n));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => need.has(o))) continue;
    const douts = n.outputs.map(total);
    if (douts.every((d) => d === null)) continue;
    const def = opDef(n.op);
    const wanted = n.inputs.some((v) => need.has(v));
    if (!wanted) continue;
    if (typeof def.backward === 'string') {
      throw new ShapeError(
        n.op,
        `is not differentiable (${def.backward}) but lies between the loss and a value whose gradient was asked for`,
      );
    }
    const dins = def.backward(b, n.inputs, n.outputs, douts, n.attrs);
    n.inputs.forEach((v, j) => {
      const s = dins[j];
      if (!s || !need.has(v)) return;
      const d = asValue(n.op, s);
      if (!sameShape(d.shape, v.shape)) {
        throw new ShapeError(
          n.op,
          `backward rule gave a gradient ${fmtShape(d.shape)} for input ${j} of shape ${fmtShape(v.shape)}`,
        );
      }
      const list = contrib.get(v);
      if (list) list.push(d);
      else contrib.set(v, [d]);
    });
  }
  return wrt.map((w) => total(w) ?? g.op('fill', [], { shape: [...w.shape], value: 0 }));
}
