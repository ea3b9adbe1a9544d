// A BERT run's texts and their token ids, pure TypeScript: the pretraining documents (built-in or
// a --corpus text: documents separated by blank lines, one sentence per line, a one-line document
// split after . ! ?) with the last tenth held out, the labelled set (built-in sentiment or
// `label<TAB>text` lines, src/text/sentiment.ts), the WordPiece vocabulary trained on both, and
// the task documents of task-adaptive pretraining. Batches from the ids are data.ts.
import { Rng } from '../../util/prng';
import { InputError } from '../../util/errors';
import { WordPieceTokenizer } from '../../text/wordpiece';
import { documentsToText, generateBertDocuments } from '../../text/bert_data';
import { generateSentiment, parseLabelledTsv, type LabelledText } from '../../text/sentiment';
import { specialsOf, type SpecialIds } from './data';

/** Task texts per pretraining document, and how many times those documents are repeated. */
const TASK_DOC = 5;
const TASK_REPEAT = 2;

/** Task-adaptive pretraining's documents: the labelled training texts (labels unused), TASK_DOC to a document. */
export function taskDocuments(train: readonly LabelledText[]): string[][] {
  const docs: string[][] = [];
  for (let i = 0; i + 1 < train.length; i += TASK_DOC) docs.push(train.slice(i, i + TASK_DOC).map((e) => e.text));
  return docs;
}

/** The pretraining documents: the corpus's, then the (encoded) task documents TASK_REPEAT times. */
export function withTaskDocuments<T>(docs: readonly T[], task: readonly T[]): T[] {
  return [...docs, ...Array.from({ length: TASK_REPEAT }, () => task).flat()];
}

/** A pretraining corpus needs this many documents (at least 2 are held out for evaluation). */
export const MIN_BERT_DOCUMENTS = 4;

/** The documents of a --corpus text, refusing (InputError) one with too few. */
export function bertDocuments(text: string): string[][] {
  const docs = parseCorpus(text);
  if (docs.length < MIN_BERT_DOCUMENTS)
    throw new InputError(
      `bert: the corpus has ${docs.length} document${docs.length === 1 ? '' : 's'}; it needs at least ${MIN_BERT_DOCUMENTS} (documents are separated by blank lines, a sentence per line)`,
    );
  return docs;
}

/** Documents (lists of sentences) from corpus text. */
export function parseCorpus(text: string): string[][] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => {
      const lines = block
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return lines.length === 1 ? lines[0]!.split(/(?<=[.!?])\s+/).filter(Boolean) : lines;
    })
    .filter((d) => d.length > 0);
}

/** A user's labelled file: a seeded 80/20 split into train and held-out. */
export function splitLabelled(all: LabelledText[], seed: number): { train: LabelledText[]; test: LabelledText[] } {
  const rng = new Rng(seed, 0x5917);
  const order = all.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nTest = Math.max(1, Math.round(all.length / 5));
  return { train: order.slice(nTest).map((i) => all[i]!), test: order.slice(0, nTest).map((i) => all[i]!) };
}

/** A run's texts: pretraining documents (lists of sentences) and the labelled set, split. */
export interface BertTexts {
  docs: string[][];
  labelled: { train: LabelledText[]; test: LabelledText[] };
}

/** The built-in documents and sentiment set of `seed`, or the user's corpus and labelled file. */
export function bertTexts(o: { seed: number; corpus?: string; labels?: string }): BertTexts {
  const docs =
    o.corpus === undefined ? generateBertDocuments({ seed: o.seed }).map((d) => d.sentences) : bertDocuments(o.corpus);
  const labelled =
    o.labels === undefined
      ? generateSentiment({ seed: o.seed })
      : splitLabelled(parseLabelledTsv(o.labels, 'labels'), o.seed);
  return { docs, labelled };
}

/** The documents as one text (documentsToText's format): what the vocabulary and the data checksum read. */
export function documentsText(docs: readonly string[][]): string {
  return documentsToText(docs.map((sentences) => ({ topic: '', sentences: [...sentences] })));
}

/** The WordPiece vocabulary of a run, trained on its documents and labelled training texts. */
export function trainBertTokenizer(t: BertTexts, vocab: number): WordPieceTokenizer {
  return WordPieceTokenizer.train(`${documentsText(t.docs)}\n${t.labelled.train.map((e) => e.text).join('\n')}`, {
    vocabSize: vocab,
  });
}

/** A run's texts as token ids of one vocabulary. */
export interface BertData {
  tok: WordPieceTokenizer;
  s: SpecialIds;
  /** The documents but the last tenth (at least 2), and those held out for the MLM/NSP metrics. */
  trainDocs: number[][][];
  evalDocs: number[][][];
  /** The labelled training texts as documents (taskDocuments), for task-adaptive pretraining. */
  taskDocs: number[][][];
  train: { ids: number[]; label: number }[];
  test: { ids: number[]; label: number; text: string }[];
}

export function encodeBertData(t: BertTexts, tok: WordPieceTokenizer): BertData {
  const enc = t.docs.map((d) => d.map((x) => tok.encode(x)));
  const nEval = Math.max(2, Math.round(t.docs.length / 10));
  return {
    tok,
    s: specialsOf(tok),
    trainDocs: enc.slice(0, -nEval),
    evalDocs: enc.slice(-nEval),
    taskDocs: taskDocuments(t.labelled.train).map((d) => d.map((x) => tok.encode(x))),
    train: t.labelled.train.map((e) => ({ ids: tok.encode(e.text), label: e.label })),
    test: t.labelled.test.map((e) => ({ ids: tok.encode(e.text), label: e.label, text: e.text })),
  };
}

/** What pretraining reads: the training documents, with the task documents when `taskText`. */
export function pretrainDocuments(d: BertData, taskText: boolean): number[][][] {
  return taskText ? withTaskDocuments(d.trainDocs, d.taskDocs) : d.trainDocs;
}
