// The public API of shadergrad. Demos and scripts import from here.

// runtime
export { createContext, GpuContext, type AdapterFacts, type Features, type CreateContextOptions } from './gpu/device';
export { Tensor, tensorFrom, emptyTensor, writeTensor, readTensor, type DType, type HostArray } from './gpu/tensor';
export { Recorder, type Cost, type DispatchArgs } from './gpu/recorder';
export { Profiler, formatTable, type KernelRow, type KernelTiming } from './gpu/profiler';
export { registerShader } from './gpu/shaders';
export { ShapeError, LimitError, ShaderCompileError, GpuError } from './util/errors';
export { Rng, hash3, uniform01 } from './util/prng';
export { setDebugLevel, debugLevel } from './util/debug';

// eager ops (the same kernels the executor replays)
export { matmulForward as matmul, matmulForward, matmulBackward } from './ops/matmul';
export { unaryForward, unaryBackward, binaryForward, binaryBackward, affineInPlace } from './ops/elementwise';
export { sumLastForward, meanLastForward, sumRowsForward, maxLastForward, sumToShape, globalNorm, clipScale, clipGradNorm } from './ops/reduce';
export { softmaxForward, softmaxBackward } from './ops/softmax';
export { layernormForward, layernormBackward } from './ops/layernorm';
export { attentionForward, attentionBackward } from './ops/attention';
export { crossEntropyForward, crossEntropyBackward, crossEntropyFused } from './ops/cross_entropy';
export { embeddingForward, embeddingBackward, scatterAddRows } from './ops/embedding';
export { dropoutForward, dropoutBackward } from './ops/dropout';
export { permuteForward, permuteBackward } from './ops/permute';
export { adamStep, sgdStep, StepScalars } from './ops/optimizer';

// graph, autograd, executor
export { Graph, Value } from './graph/graph';
export { gradients } from './graph/autograd';
export { Executor, type CompileOptions, type StepOptions } from './graph/executor';
export { evaluate } from './graph/reference';
export { OPS, type OpAttrs, type OpName } from './ops/registry';

// layers and training
export { Linear, Embedding, LayerNorm, Dropout, Mlp, MultiHeadAttention, TransformerBlock, activation } from './nn/layers';
export * as init from './nn/init';
export { Trainer, type OptimizerSpec, type TrainerOptions } from './optim/trainer';
export { constantLr, warmupCosine, type Schedule } from './optim/schedule';

// files
export { saveSafetensors, loadSafetensors, readSafetensorsHeader, SafetensorsError } from './io/safetensors';
export { buildCheckpoint, parseCheckpoint, downloadCheckpoint, readCheckpointFiles, CheckpointError, type Checkpoint, type CheckpointFiles } from './io/checkpoint';

// text: tokenizers (char, byte-level BPE, WordPiece) and built-in corpus generators
export * from './text/index';
