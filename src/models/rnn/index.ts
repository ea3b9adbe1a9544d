// The recurrent language models (vanilla RNN, LSTM, GRU): graph builders and cells, the GPU
// model (training step, evaluation, generation with the state carried), the training loop, the
// per-step feeds, the vanishing-gradient lesson and the defaults table. Exported from
// src/index.ts as `rnn`.
export {
  buildRnn,
  cellStep,
  rnnLayers,
  rnnParamCount,
  checkRnnConfig,
  feedName,
  CELL_GATES,
  type RnnCell,
  type RnnConfig,
  type RnnInit,
  type RnnGraph,
  type RnnGraphOptions,
  type RnnLayers,
  type GateParams,
  type CellState,
} from './graph';
export { RnnModel, type RnnOptimOptions } from './model';
export { trainRnn, saveRnnRun, type RnnRunOptions, type RnnRunResult, type RnnProgress, type RnnEval } from './train';
export { oneHot, stepFeeds, type StepFeeds } from './data';
export { gradNormCurve, type GradNormOptions, type GradNormCurve } from './gradnorm';
export { RNN_TRAIN_DEFAULTS } from './defaults';
