// The attributes of every graph op, by name. Each op file (src/ops/<op>.ts) declares its own ops'
// attributes next to their definitions by augmenting this interface:
//
//   declare module './attrs' { interface OpAttrs { softmax: { scale?: number; causal?: boolean } } }
//
// so OpName, the closed set of graph ops, is the union over the op files, and the registry
// (OPS in src/ops/index.ts) must define every one of them or `tsc` fails.

/** Attributes of an op that takes none. */
export type NoAttrs = Record<string, never>;

export interface OpAttrs {}

export type OpName = keyof OpAttrs;
