// The public API of shadergrad: pages and scripts import from here and nowhere deeper. The core
// runtime names are also at the top level; everything else is in one namespace per layer or
// model (src/<folder>/index.ts), e.g. `gpt.trainGpt`, `bert.runBert`, `text.CharTokenizer`:
//
//   gpu         context, tensors, recorder, profiler, shader registration, errors, seeded Rng, debug level
//   ops         the eager ops: every kernel launcher (the same kernels the executor replays)
//   reference   the float64 reference of every kernel (the tests' oracle)
//   graph       Graph, autograd, Executor, the float64 reference evaluator, the op registry
//   nn          layers, and initializers as nn.init
//   optim       Trainer, learning-rate schedules
//   text        tokenizers, word vocabularies, built-in corpora, UTF-8 decoding
//   io          safetensors, checkpoints, word2vec's text format, GloVe / fastText vectors
//   evaluation  word-vector neighbours, analogies, similarity; BLEU, chrF, ROUGE, perplexity
//   gpt         the nanoGPT-style model: graphs, GPU model, training loop, data, sampling, folders, GPT-2 files, defaults
//   rnn         recurrent LMs (RNN, LSTM, GRU): cells and graphs, GPU model, training loop, gradient lesson, defaults
//   bert        the mini BERT: graphs, GPU models, data, training loops and run, folders and uses, BERT files, defaults
//   word2vec    skip-gram / CBOW: GPU model, training loop, batches, defaults
//   classic     the perceptron, XOR MLP and gradient-descent lessons, defaults

// core runtime (each also in its namespace)
export { createContext, GpuContext, type AdapterFacts, type Features, type CreateContextOptions } from './gpu/device';
export { Tensor, tensorFrom, emptyTensor, writeTensor, readTensor, type DType, type HostArray } from './gpu/tensor';
export { ShapeError, InputError, LimitError, ShaderCompileError, GpuError } from './util/errors';
export { Rng } from './util/prng';
export { Graph, Value } from './graph/graph';
export { Executor, type CompileOptions, type StepOptions } from './graph/executor';

// layers
export * as gpu from './gpu/index';
export * as ops from './ops/index';
export * as reference from './reference/index';
export * as graph from './graph/index';
export * as nn from './nn/index';
export * as optim from './optim/index';
export * as text from './text/index';
export * as io from './io/index';
export * as evaluation from './eval/index';

// models
export * as gpt from './models/gpt/index';
export * as rnn from './models/rnn/index';
export * as bert from './models/bert/index';
export * as word2vec from './models/word2vec/index';
export * as classic from './models/classic/index';
