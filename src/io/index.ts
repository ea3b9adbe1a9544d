// Files (src/index.ts exports them as `io`): safetensors, our checkpoint folders, word2vec's
// text format, and pretrained word vectors (GloVe, fastText .vec).
// Each model's Hugging Face files are its own (src/models/<model>/hf.ts).
export {
  saveSafetensors,
  loadSafetensors,
  SafetensorsError,
  type TensorToSave,
  type LoadedTensor,
} from './safetensors';
export { readSafetensorsHeader, type SafetensorsHeader } from './safetensors_header';
export {
  buildCheckpoint,
  parseCheckpoint,
  downloadCheckpoint,
  readCheckpointFiles,
  crc32,
  CheckpointError,
  CHECKPOINT_FILES,
  type Checkpoint,
  type CheckpointFiles,
  type JsonObject,
  type ParamTensor,
  type TrainingProgress,
} from './checkpoint';
export { writeWord2vecText, readWord2vecText, Word2vecFormatError } from './word2vec_format';
export {
  readWordVectors,
  parseWordVectors,
  VectorsFormatError,
  type VectorsFormat,
  type ReadVectorsOptions,
  type PretrainedVectors,
} from './vectors_format';
