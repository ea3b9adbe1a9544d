// The GPU runtime's public names (src/index.ts exports them as `gpu`): the context (device,
// features, limits, error handling), the tuning table, tensors, the recorder, the profiler and
// shader registration, with src/util's errors, seeded generator and debug switch that every
// layer above uses.
export { createContext, GpuContext, type AdapterFacts, type Features, type CreateContextOptions } from './device';
export { Tensor, tensorFrom, emptyTensor, writeTensor, readTensor, type DType, type HostArray } from './tensor';
export { Recorder, bindDispatch, type Cost, type DispatchArgs, type BoundDispatch } from './recorder';
export { Profiler, formatTable, type KernelRow, type KernelTiming } from './profiler';
export { registerShader } from './shaders';
export {
  deriveTuning,
  parseTuning,
  formatTuning,
  tuningString,
  tuningValues,
  TUNING_KEYS,
  type Tuning,
  type TuningKey,
  type TuningOverrides,
  type TuningTable,
  type AdapterClass,
} from './tuning';
export { ShapeError, InputError, LimitError, ShaderCompileError, GpuError } from '../util/errors';
export { Rng, hash3, uniform01, randomArray, randomInts } from '../util/prng';
export { setDebugLevel, debugLevel } from '../util/debug';
