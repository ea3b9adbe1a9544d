// Evaluation (src/index.ts exports it as `evaluation`): word vectors (nearest neighbours,
// analogies and their accuracy, Spearman correlation with a similarity list) and text metrics
// (corpus BLEU and chrF as sacreBLEU computes them, ROUGE-1/2/L, perplexity and bits).
export {
  WordVectors,
  UnknownWordError,
  parseQuestions,
  analogyAccuracy,
  similarityCorrelation,
  spearman,
  ranks,
  type AnalogyReport,
  type SectionScore,
  type QuestionSection,
} from './similarity';
export {
  corpusBleu,
  sentenceBleu,
  bleuFromStats,
  tokenize13a,
  splitWhitespace,
  closestRefLength,
  type Text,
  type BleuOptions,
  type BleuScore,
  type BleuSmoothing,
  type BleuTokenizer,
} from './bleu';
export {
  corpusChrf,
  sentenceChrf,
  chrfFromStats,
  chrfWords,
  type ChrfOptions,
  type ChrfScore,
  type ChrfOrderStats,
} from './chrf';
export {
  corpusRouge,
  sentenceRouge,
  rougeN,
  rougeL,
  lcsLength,
  tokenizeRouge,
  type RougeOptions,
  type RougeScore,
  type PRF,
} from './rouge';
export { perplexity, perplexityFromLoss, meanNll, bitsPerToken, bitsPerChar } from './perplexity';
