// Float64 evaluation of a graph with each op's reference: the oracle for composite graphs
// (finite-difference gradient checks, executor results, a model's first steps).
import { opDef } from '../ops/index';
import { isOp, type Graph, type Value } from './graph';
import { schedule } from './plan';

export type Env = Map<Value, Float64Array>;

/**
 * Evaluate the nodes `outputs` need (and every effect node, whose in-place updates are written
 * back into the returned environment). Inputs come from `feeds` by name; params from
 * `params` by name when given, else their initial values.
 */
export function evaluate(
  g: Graph,
  outputs: Value[],
  feeds: Record<string, ArrayLike<number>>,
  params: Record<string, ArrayLike<number>> = {},
): Env {
  const env: Env = new Map();
  for (const n of schedule(g, outputs)) {
    if (isOp(n, 'input')) {
      const a = n.attrs;
      const d = feeds[a.name];
      if (!d) throw new Error(`reference: no feed for input "${a.name}"`);
      env.set(n.outputs[0]!, Float64Array.from(d));
      continue;
    }
    if (isOp(n, 'param')) {
      const a = n.attrs;
      env.set(n.outputs[0]!, Float64Array.from(params[a.name] ?? a.init));
      continue;
    }
    const def = opDef(n.op);
    const ins = n.inputs.map((v) => {
      const x = env.get(v);
      if (!x) throw new Error(`reference: ${v.toString()} was not computed before ${n.op}`);
      return x;
    });
    const types = n.inputs.map((v) => ({ shape: [...v.shape], dtype: v.dtype }));
    const res = def.reference(ins, types, n.attrs);
    if (def.effect) def.effect(n.inputs.length).forEach((j, k) => env.set(n.inputs[j]!, res[k]!));
    else n.outputs.forEach((o, k) => env.set(o, res[k]!));
  }
  return env;
}
