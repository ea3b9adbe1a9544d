// The graph layer's public names (src/index.ts exports them as `graph`): the Graph builder and
// its values, autograd, the compiled Executor, its memory report, the float64 reference evaluator, and the op
// registry (OPS) that Graph.op builds from.
export { Graph, Value } from './graph';
export { gradients } from './autograd';
export { Executor, type CompileOptions, type StepOptions } from './executor';
export { evaluate } from './reference';
export { memoryReport, formatMemory, type MemoryReport } from './memory';
export { OPS, type OpAttrs, type OpName } from '../ops/index';
