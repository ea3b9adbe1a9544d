// word2vec's defaults, in one table (word2vec.c's, except the batch): resolveOptions (model.ts),
// the train CLI's flags (scripts/lib/flags.ts), the train job (demos/train/word2vec_job.ts) and the
// word2vec page's form all read them.
import { DEFAULT_CORPUS_TOKENS } from '../../text/w2v_corpus';

export const WORD2VEC_DEFAULTS = {
  mode: 'skipgram',
  /** Vector size, largest context reach, negative samples per example, passes, rarest kept word. */
  dim: 100,
  window: 5,
  negative: 5,
  epochs: 5,
  minCount: 5,
  /** Subsampling threshold (word2vec.c's -sample); 0 keeps every word. */
  sample: 1e-3,
  /** Starting learning rate by mode. */
  alpha: { skipgram: 0.025, cbow: 0.05 },
  seed: 1,
  /** Examples per GPU step: skip-gram pairs or CBOW windows. */
  batch: 1024,
  /** Size of the built-in relation corpus in tokens. */
  corpusTokens: DEFAULT_CORPUS_TOKENS,
  /** The training loop reports progress about every this many batches. */
  progressEvery: 8,
} as const;

/** The word2vec page's lesson: a smaller corpus and model, trained in seconds on a software GPU. */
export const WORD2VEC_PAGE = { tokens: 100_000, dim: 50, epochs: 3 } as const;
