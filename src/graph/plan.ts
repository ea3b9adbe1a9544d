// The compiler's memory side: schedule the nodes some root needs (dead ones are dropped; effect
// nodes — optimizer updates — go last), then give every transient value a buffer slot, reusing
// a slot once the last reader of its previous holder has run. Views (reshape) share their
// source's slot. Leaves (inputs, params, constants) and kept values are never reused.
import { OPS } from '../ops/index';
import type { GNode, Graph, Value } from './graph';

export interface BufferPlan {
  order: GNode[];
  /** Slot index of each transient value (views map to their source's slot). */
  slotOf: Map<Value, number>;
  /** Size in bytes of each slot (the largest value it ever holds). */
  slotBytes: number[];
  /** Values that own a buffer for the whole run: leaves and kept values. */
  persistent: Value[];
  /** Bytes of transient slots in this plan. */
  plannedBytes: number;
  /** Bytes a one-buffer-per-value plan would need for the same transients. */
  naiveBytes: number;
}

const LEAVES = new Set(['input', 'param', 'constant', 'fill']);

export function isLeaf(n: GNode): boolean {
  return LEAVES.has(n.op);
}

/** Nodes needed by `roots` (values) plus every effect node, in a valid order with effects last. */
export function schedule(g: Graph, roots: Value[]): GNode[] {
  const needed = new Set<GNode>();
  const stack: GNode[] = roots.map((r) => r.node);
  for (const n of g.nodes) if (OPS[n.op].effect) stack.push(n);
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    for (const v of n.inputs) stack.push(v.node);
  }
  // g.nodes is already topological (a node's inputs exist before it); effects move to the end.
  const order = g.nodes.filter((n) => needed.has(n) && !OPS[n.op].effect);
  return order.concat(g.nodes.filter((n) => needed.has(n) && OPS[n.op].effect));
}

function bytesOf(v: Value): number {
  return Math.max(4, v.size * 4);
}

export function planBuffers(g: Graph, roots: Value[], keep: Iterable<Value> = roots): BufferPlan {
  const order = schedule(g, roots);
  const kept = new Set(keep);
  // Storage root of each value: a view lives in its source's buffer.
  const base = new Map<Value, Value>();
  const rootOf = (v: Value): Value => base.get(v) ?? v;
  const persistent: Value[] = [];
  const persistentRoots = new Set<Value>();
  for (const n of order) {
    if (OPS[n.op].view) {
      base.set(n.outputs[0]!, rootOf(n.inputs[0]!));
      continue;
    }
    for (const o of n.outputs) {
      if (isLeaf(n) || kept.has(o)) {
        persistent.push(o);
        persistentRoots.add(o);
      }
    }
  }
  // A view of a kept value is kept; a kept view keeps its source.
  for (const v of kept)
    if (base.has(v) && !persistentRoots.has(rootOf(v))) {
      persistent.push(rootOf(v));
      persistentRoots.add(rootOf(v));
    }
  const lastUse = new Map<Value, number>();
  order.forEach((n, i) => {
    for (const v of n.inputs) lastUse.set(rootOf(v), Math.max(lastUse.get(rootOf(v)) ?? -1, i));
  });
  const slotOf = new Map<Value, number>();
  const slotBytes: number[] = [];
  const free: number[] = [];
  let naiveBytes = 0;
  order.forEach((n, i) => {
    if (OPS[n.op].view) return;
    for (const o of n.outputs) {
      if (persistentRoots.has(o)) continue;
      const need = bytesOf(o);
      naiveBytes += need;
      // Best fit among free slots; else grow the largest free one; else a new slot.
      let pick = -1;
      for (const s of free) if (slotBytes[s]! >= need && (pick < 0 || slotBytes[s]! < slotBytes[pick]!)) pick = s;
      if (pick < 0 && free.length) pick = free.reduce((a, s) => (slotBytes[s]! > slotBytes[a]! ? s : a), free[0]!);
      if (pick >= 0) {
        free.splice(free.indexOf(pick), 1);
        slotBytes[pick] = Math.max(slotBytes[pick]!, need);
      } else {
        pick = slotBytes.length;
        slotBytes.push(need);
      }
      slotOf.set(o, pick);
      // An output nobody reads is freed right after its node.
      if (!lastUse.has(o)) lastUse.set(o, i);
    }
    // Release the slots whose last reader is this node (after its outputs were placed, so an
    // output never shares a buffer with one of its own inputs).
    const released = new Set<number>();
    for (const v of [...n.inputs.map(rootOf), ...n.outputs]) {
      const s = slotOf.get(v);
      if (s !== undefined && lastUse.get(v) === i && !released.has(s)) {
        released.add(s);
        free.push(s);
      }
    }
  });
  for (const [v, b] of base) {
    const s = slotOf.get(b);
    if (s !== undefined) slotOf.set(v, s);
  }
  const plannedBytes = slotBytes.reduce((a, b) => a + b, 0);
  return { order, slotOf, slotBytes, persistent, plannedBytes, naiveBytes };
}
