// The float64 references of every kernel (the tests' oracle; src/index.ts exports them as
// `reference`), by kernel file: the same names as the launchers of src/ops.
export * from './attention';
export * from './cross_entropy';
export * from './dropout';
export * from './elementwise';
export * from './embedding';
export * from './kv_cache';
export * from './layernorm';
export * from './matmul';
export * from './optimizer';
export * from './permute';
export * from './reduce';
export * from './softmax';
export * from './word2vec';
