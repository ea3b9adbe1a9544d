// Evaluation of word vectors (src/index.ts exports it as `evaluation`): nearest neighbours,
// analogies and their accuracy, Spearman correlation with a similarity list.
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
