// src/text (src/index.ts exports it as `text`): tokenizers (char, byte-level BPE, GPT-2's BPE, WordPiece,
// words for word2vec), built-in corpus generators, and strict UTF-8 decoding of a user's file.
export {
  type Tokenizer,
  type TokenizerKind,
  type TokenizerJSON,
  tokenizerFromJSON,
  checkEncodable,
  checkIds,
} from './tokenizer';
export { CharTokenizer, type CharTokenizerJSON, type CharTrainOptions } from './char';
export { BpeTokenizer, type BpeTokenizerJSON, type BpeTrainOptions, bpePretokenize } from './bpe';
export { Gpt2Tokenizer, type Gpt2TokenizerJSON, gpt2ByteChars, gpt2Pretokenize, GPT2_EOS } from './gpt2_bpe';
export {
  WordPieceTokenizer,
  type WordPieceTokenizerJSON,
  type WordPieceOptions,
  type EncodedPair,
  WORDPIECE_SPECIALS,
  wordpiecePretokenize,
} from './wordpiece';
export { type WordPieceTrainOptions } from './wordpiece_train';
export { generateStories, splitStories, type StoriesOptions, type StoriesCorpus, type StoriesSplit } from './stories';
export {
  generateBertDocuments,
  senseSentences,
  nextSentencePairs,
  documentsToText,
  SENSES,
  type BertDocument,
  type SenseSentence,
  type NspPair,
} from './bert_data';
export { generateSentiment, sentimentRule, parseLabelledTsv, type LabelledText } from './sentiment';
export {
  tokenizeLine,
  WordCounter,
  Vocab,
  CorpusError,
  countWords,
  keepProbability,
  unigramTable,
  stringSource,
  blobSource,
  type TextSource,
} from './words';
export {
  builtinCorpus,
  builtinCorpusText,
  builtinQuestions,
  builtinSimilarity,
  DEFAULT_CORPUS_TOKENS,
} from './w2v_corpus';
export { NgramLM, type NgramOptions, type NgramSmoothing, type NgramEval } from './ngram';
export { decodeUtf8Text } from '../util/utf8';
