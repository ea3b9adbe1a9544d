// The GPT (nanoGPT architecture): graph builders, the GPU model (training step, evaluation,
// KV-cache decoding, attention maps), the training loop, LM data, sampling, checkpoint folders,
// Hugging Face GPT-2 files and the defaults table. Exported from src/index.ts as `gpt`.
export {
  buildGpt,
  buildGptDecode,
  buildGptAttentionMap,
  gptLayers,
  gptLoraModules,
  gptLoraModuleNames,
  checkGptLoraTargets,
  GPT_LORA_TARGETS,
  gptParamCount,
  gptTensorSizes,
  checkGptConfig,
  type GptConfig,
  type GptGraph,
  type GptDecodeGraph,
  type GptLayers,
} from './graph';
export { GptModel, readGptConfigFile, type GptOptimOptions } from './model';
export { GptInference, type GenerateOptions } from './inference';
export { gptAdapterFiles, readGptAdapter, readAdapterConfig, GPT_ADAPTER_FILES, GPT_LORA_RUN_FILES } from './adapter';
export {
  trainGpt,
  saveRun,
  saveMerged,
  makeTokenizer,
  type GptRunOptions,
  type GptRunResult,
  type GptProgress,
  type GptEval,
} from './train';
export {
  splitTokens,
  splitSizes,
  checkLmSplit,
  batchAt,
  randomBatch,
  unigramBaseline,
  ngramBaseline,
  evalWindows,
  defaultPrompt,
  type NgramBaseline,
  type LmBatch,
  type LmSplit,
} from './data';
export {
  argmax,
  logSoftmax,
  samplingProbs,
  sampleNext,
  beamSearch,
  type SampleOptions,
  type BeamOptions,
  type LogitsFn,
} from './sampling';
export { openGptFolder, GPT_FOLDER_FILES, HF_GPT2_FILES, GPT_ALL_FILES, type GptFolder } from './folder';
export { toHf, fromHf, gpt2Config, configFromGpt2, type Params } from './hf';
export { GPT_PRESETS, GPT_TRAIN_DEFAULTS } from './defaults';
export { openGptModel, openGptInference, splitAdapterFiles, type OpenedGpt } from './use';
