// The mini BERT: graph builders, the GPU models (pretrainer, classifier, inference), data and
// batches, the training loops and the whole run, checkpoint folders and their uses (fill-mask,
// classify, similarity), Hugging Face BERT files and the defaults table. Exported from
// src/index.ts as `bert`.
export {
  bertConfig,
  checkBertConfig,
  bertTensorSizes,
  buildPretrainGraph,
  buildClassifierGraph,
  paramCount,
  clsRows,
  BertEncoder,
  BertPooler,
  MlmHead,
  IGNORE,
  BERT_ACTIVATIONS,
  type BertActivation,
  type BertConfig,
  type BertInputs,
  type EncoderOutput,
  type PretrainGraph,
  type ClassifierGraph,
} from './graph';
export { BertPretrainer, readParams, loadParams, type BertTrainOptions, type PretrainStats } from './model';
export { BertClassifier } from './classifier';
export { BertInference, wordAt, cosine, type FillMaskResult } from './inference';
export {
  maskTokens,
  packPair,
  padBatch,
  classifyBatch,
  PretrainBatcher,
  LabelledBatcher,
  maskedAccuracy,
  argmax,
  softmaxRow,
  specialsOf,
  type SpecialIds,
  type MaskOptions,
  type EncodedBatch,
  type PretrainBatch,
  type LabelledBatch,
  type BatcherState,
} from './data';
export {
  taskDocuments,
  withTaskDocuments,
  MIN_BERT_DOCUMENTS,
  bertDocuments,
  parseCorpus,
  splitLabelled,
  bertTexts,
  documentsText,
  trainBertTokenizer,
  encodeBertData,
  pretrainDocuments,
  type BertTexts,
  type BertData,
} from './corpus';
export {
  BertPretraining,
  unigramBaseline,
  type PretrainOptions,
  type PretrainDocs,
  type PretrainLoopOptions,
  type BertPretrainProgress,
  type BertPretrainEval,
} from './train';
export { finetuneBert, type FinetuneOptions, type BertFinetuneProgress, type BertFinetuneEval } from './finetune';
export { runBert, type BertProgress, type BertEval, type BertRunOptions, type BertRunResult } from './run';
export { openBertFolder, checkBertResume, type BertFolder } from './folder';
export {
  checkFillMask,
  fillMaskFromFolder,
  checkClassify,
  classifyFromFolder,
  checkSimilarity,
  similarityFromFolder,
  type FillMaskCandidate,
  type FillMaskOutput,
  type ClassifyOutput,
  type SimilarityOutput,
} from './use';
export {
  toHf,
  fromHf,
  hfConfig,
  bertConfigFromHf,
  bertActivationFromHf,
  saveBertCheckpoint,
  loadBertCheckpoint,
  isLinearWeight,
  transpose,
  type BertParams,
  type BertCheckpointFiles,
  type HfBertConfigOptions,
} from './hf';
export { BERT_FOLDER_FILES, canonicalTensors, wordpieceFromTokenizerJson, wordpieceOptionsOf } from './hub';
export { BERT_DEFAULTS } from './defaults';
