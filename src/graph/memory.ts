// What a compiled graph will hold on the GPU, read off its buffer plan before anything is
// allocated: the parameters it owns (trainable weights, frozen weights and caches, optimizer
// state), the ones it borrows from another executor (no bytes of its own), inputs and constants,
// and the transient slots where activations and gradients live (reused as liveness allows, so
// their sum is the plan's, not the sum of every value). Pure: plans and names only.
import { isOp, type Value } from './graph';
import type { BufferPlan } from './plan';

export interface MemoryReport {
  /** Trainable parameters (each also has a gradient, in the transient slots, and optimizer state). */
  trainable: number;
  /** Parameters that do not train: frozen weights (LoRA's base), KV caches. */
  frozen: number;
  /** Optimizer state (AdamW's m and v, SGD's momentum): parameters the caller names as such. */
  optimizer: number;
  /** Parameters borrowed from another executor (counted there, not here). */
  borrowed: number;
  /** Inputs, constants and fills. */
  io: number;
  /** Activations and gradients: the plan's transient slots. */
  transient: number;
  /** Everything this executor allocates: all of the above but `borrowed`. */
  total: number;
}

/**
 * The report of `plan`; `isOptimizerState(name)` tells optimizer slots from other non-trainable
 * parameters, `isBorrowed(v)` which parameters another executor owns.
 */
export function memoryReport(
  plan: BufferPlan,
  isOptimizerState: (name: string) => boolean = () => false,
  isBorrowed: (v: Value) => boolean = () => false,
): MemoryReport {
  const r: MemoryReport = { trainable: 0, frozen: 0, optimizer: 0, borrowed: 0, io: 0, transient: 0, total: 0 };
  for (const v of plan.persistent) {
    const bytes = Math.max(4, v.size * 4);
    const n = v.node;
    if (!isOp(n, 'param')) r.io += bytes;
    else if (isBorrowed(v)) r.borrowed += bytes;
    else if (n.attrs.trainable) r.trainable += bytes;
    else if (isOptimizerState(n.attrs.name)) r.optimizer += bytes;
    else r.frozen += bytes;
  }
  r.transient = plan.plannedBytes;
  r.total = r.trainable + r.frozen + r.optimizer + r.io + r.transient;
  return r;
}

/** One line: "total 512 MiB (weights 474 trainable 1.2 frozen 473, optimizer 2.4, activations+gradients 36, io 0.1)". */
export function formatMemory(r: MemoryReport): string {
  const mib = (b: number): string => {
    const m = b / 2 ** 20;
    return m >= 100 ? m.toFixed(0) : m >= 1 ? m.toFixed(1) : m.toFixed(3);
  };
  const borrowed = r.borrowed ? `, shared ${mib(r.borrowed)}` : '';
  return (
    `total ${mib(r.total)} MiB (weights ${mib(r.trainable + r.frozen)}: trainable ${mib(r.trainable)}, ` +
    `frozen ${mib(r.frozen)}; optimizer ${mib(r.optimizer)}; activations+gradients ${mib(r.transient)}; ` +
    `inputs ${mib(r.io)}${borrowed})`
  );
}
