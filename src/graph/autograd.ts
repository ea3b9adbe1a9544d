// Reverse-mode autograd as a graph-to-graph transform: walk the nodes that lead to the loss in
// reverse order, call each op's backward rule (which adds new nodes through a GradBuilder), and
// sum the contributions of a value used more than once (tied weights). Rules build gradients for
// all inputs; the planner drops the nodes no root needs.
import { ShapeError, fmtShape } from '../util/errors';
import { sameShape } from '../util/shape';
import { OPS, type OpAttrs, type OpName } from '../ops/registry';
import type { GradBuilder } from '../ops/registry_types';
import { Graph, Value, type GNode } from './graph';

function builder(g: Graph): GradBuilder<Value, OpAttrs> {
  return { apply: <K extends keyof OpAttrs>(op: K, inputs: Value[], attrs: OpAttrs[K]) => g.apply(op as OpName, inputs, attrs as OpAttrs[OpName]) };
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
  if (!seed && loss.size !== 1) throw new ShapeError('gradients', `the loss must have one element, got ${fmtShape(loss.shape)}; pass a seed gradient`);
  if (seed && !sameShape(seed.shape, loss.shape)) throw new ShapeError('gradients', `seed ${fmtShape(seed.shape)} does not match loss ${fmtShape(loss.shape)}`);
  const need = dependents(g, wrt);
  const onPath = ancestors(loss);
  const contrib = new Map<Value, Value[]>();
  contrib.set(loss, [seed ?? g.op('fill', [], { shape: [...loss.shape], value: 1 })]);
  const b = builder(g);
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
    const def = OPS[n.op];
    const wanted = n.inputs.some((v) => need.has(v));
    if (!wanted) continue;
    if (typeof def.backward === 'string') {
      throw new ShapeError(n.op, `is not differentiable (${def.backward}) but lies between the loss and a value whose gradient was asked for`);
    }
    const dins = (def.backward as (...a: unknown[]) => (Value | null)[])(b, n.inputs, n.outputs, douts, n.attrs);
    n.inputs.forEach((v, j) => {
      const d = dins[j];
      if (!d || !need.has(v)) return;
      if (!sameShape(d.shape, v.shape)) {
        throw new ShapeError(n.op, `backward rule gave a gradient ${fmtShape(d.shape)} for input ${j} of shape ${fmtShape(v.shape)}`);
      }
      const list = contrib.get(v);
      if (list) list.push(d);
      else contrib.set(v, [d]);
    });
  }
  return wrt.map((w) => total(w) ?? g.op('fill', [], { shape: [...w.shape], value: 0 }));
}
