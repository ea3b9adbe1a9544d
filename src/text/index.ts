// src/text: tokenizers (char, byte-level BPE, WordPiece) and built-in corpus generators.
export { type Tokenizer, type TokenizerKind, type TokenizerJSON, tokenizerFromJSON } from './tokenizer';
export { CharTokenizer, type CharTokenizerJSON, type CharTrainOptions } from './char';
export { BpeTokenizer, type BpeTokenizerJSON, type BpeTrainOptions, bpePretokenize } from './bpe';
export {
  WordPieceTokenizer, type WordPieceTokenizerJSON, type WordPieceOptions, type EncodedPair,
  WORDPIECE_SPECIALS, wordpiecePretokenize,
} from './wordpiece';
export { type WordPieceTrainOptions } from './wordpiece_train';
export { generateStories, splitStories, type StoriesOptions, type StoriesCorpus, type StoriesSplit } from './stories';
export {
  generateBertDocuments, senseSentences, nextSentencePairs, documentsToText, generateSentiment, sentimentRule,
  parseLabelledTsv, SENSES, type BertDocument, type SenseSentence, type NspPair, type LabelledText,
} from './bert_data';
