// The public API of shadergrad. Demos and scripts import from here.

// runtime
export { createContext, GpuContext, type AdapterFacts, type Features, type CreateContextOptions } from './gpu/device';
export { Tensor, tensorFrom, emptyTensor, writeTensor, readTensor, type DType, type HostArray } from './gpu/tensor';
export { Recorder, type Cost, type DispatchArgs } from './gpu/recorder';
export { Profiler, formatTable, type KernelRow, type KernelTiming } from './gpu/profiler';
export { registerShader } from './gpu/shaders';
export { ShapeError, InputError, LimitError, ShaderCompileError, GpuError } from './util/errors';
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

// word2vec: word tokenizer and vocabulary, built-in relation corpus, model, evaluation, text format
export { tokenizeLine, WordCounter, Vocab, CorpusError, countWords, keepProbability, unigramTable, stringSource, blobSource, type TextSource } from './text/words';
export { builtinCorpus, builtinCorpusText, builtinQuestions, builtinSimilarity, DEFAULT_CORPUS_TOKENS } from './text/w2v_corpus';
export { BatchBuilder, type W2vMode, type W2vBatch } from './text/w2v_batches';
export { Word2Vec, trainWord2Vec, resolveOptions as resolveWord2VecOptions, type Word2VecOptions, type Word2VecProgress } from './models/word2vec';
export { W2vBuffers, w2vGrads, w2vStep } from './ops/word2vec';
export { WordVectors, UnknownWordError, analogyAccuracy, similarityCorrelation, spearman, type AnalogyReport } from './eval/similarity';
export { writeWord2vecText, readWord2vecText, Word2vecFormatError } from './io/word2vec_format';

// GPT: model graphs, GPU model (training, KV-cache decoding, attention maps), training loop,
// sampling, Hugging Face GPT-2 interop
export { buildGpt, buildGptDecode, buildGptAttentionMap, gptLayers, gptParamCount, checkGptConfig, GPT_PRESETS, type GptConfig, type GptGraph } from './models/gpt';
export { GptModel, readGptConfigFile, type GptOptimOptions, type GenerateOptions } from './models/gpt_runtime';
export { trainGpt, saveRun as saveGptRun, makeTokenizer, type GptRunOptions, type GptRunResult } from './models/gpt_train';
export { splitTokens, batchAt, randomBatch, unigramBaseline, type LmBatch, type LmSplit } from './models/gpt_data';
export { argmax, logSoftmax, samplingProbs, sampleNext, beamSearch, type SampleOptions, type BeamOptions, type LogitsFn } from './models/sampling';
export { toHf as gpt2ToHf, fromHf as gpt2FromHf, gpt2Config, configFromGpt2 } from './io/gpt2_hf';
export { kvCacheForward, kvCacheStore } from './ops/kv_cache';
// mini BERT
export { bertConfig, buildPretrainGraph, buildClassifierGraph, BertEncoder, IGNORE as BERT_IGNORE, type BertConfig, type PretrainGraph, type ClassifierGraph } from './models/bert';
export { maskTokens, packPair, padBatch, classifyBatch, PretrainBatcher, LabelledBatcher, maskedAccuracy, type SpecialIds, type PretrainBatch, type LabelledBatch } from './models/bert_batch';
export { BertPretrainer, BertClassifier, BertInference, specialsOf, cosine, type FillMaskResult, type BertTrainOptions } from './models/bert_model';
export { runBert, parseCorpus, unigramBaseline as bertUnigramBaseline, BERT_DEFAULTS, type BertRunOptions, type BertRunResult } from './models/bert_pipeline';
export { toHf as bertToHf, fromHf as bertFromHf, hfConfig as bertHfConfig, bertConfigFromHf, saveBertCheckpoint, loadBertCheckpoint } from './io/bert_hf';
