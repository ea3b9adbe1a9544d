// word2vec (skip-gram or CBOW with negative sampling): the GPU model, its training loop and run,
// the streamed example batches and the defaults table. Exported from src/index.ts as `word2vec`.
export { Word2Vec, initTables, resolveOptions, type Word2VecOptions, type ResolvedOptions } from './model';
export { trainEpochs, trainWord2Vec, type Word2VecProgress, type Word2VecHooks } from './train';
export { BatchBuilder, type BatchOptions, type W2vMode, type W2vBatch } from './data';
export { WORD2VEC_DEFAULTS, WORD2VEC_PAGE } from './defaults';
