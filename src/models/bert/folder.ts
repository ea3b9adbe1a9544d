// A saved BERT folder — `pretrained/` or `classifier/` of a bert run, or a Hugging Face BERT
// folder (model.safetensors, config.json, vocab.txt and tokenizer_config.json or tokenizer.json;
// hub.ts maps what real hub folders hold: bert-base-uncased's names, BertForMaskedLM's tied
// decoder and missing pooler, transformers 5's tokenizer.json-only folders) —
// opened and checked in one place, with no GPU: the CLIs run it in Node before the browser starts
// (scripts/lib/folders.ts), the page runs it before building a model, use.ts and a resumed
// training run (train.ts, after checkBertResume below) start from it.
import { loadBertCheckpoint, type BertParams } from './hf';
import type { TrainingProgress } from '../../io/checkpoint';
import { WordPieceTokenizer } from '../../text/wordpiece';
import { checkBertConfig, type BertConfig } from './graph';
import { inFile, jsonObjectOf } from '../../io/files';
import { InputError } from '../../util/errors';
import { wordpieceOptionsOf } from './hub';

export interface BertFolder {
  cfg: BertConfig;
  params: BertParams;
  tok: WordPieceTokenizer;
  /** Class names by index for a BertForSequenceClassification folder, else null. */
  labels: string[] | null;
  config: Record<string, unknown>;
}

/**
 * Parse a folder's files (by file name) into config, parameters (our layout) and tokenizer. Pure
 * (no GPU): the CLI runs it in Node before the browser starts. A bad file is an InputError naming
 * it: missing, not JSON, a config that breaks the rules, garbage safetensors or vocab.txt.
 */
export function openBertFolder(files: Readonly<Record<string, Uint8Array>>): BertFolder {
  const ck = loadBertCheckpoint(files);
  inFile('config.json', () => checkBertConfig(ck.cfg));
  const tc = files['tokenizer_config.json']
    ? jsonObjectOf('tokenizer_config.json', files['tokenizer_config.json'])
    : {};
  const vocabFile = ck.tokenizerJson ? 'tokenizer.json' : 'vocab.txt';
  const tok = inFile(vocabFile, () =>
    WordPieceTokenizer.fromVocabTxt(ck.vocabTxt, ck.tokenizerJson?.opts ?? wordpieceOptionsOf(tc)),
  );
  if (tok.vocabSize !== ck.cfg.vocabSize)
    throw new InputError(
      `${vocabFile} has ${tok.vocabSize} tokens but config.json says vocab_size ${ck.cfg.vocabSize}: the files come from different runs`,
    );
  let labels: string[] | null = null;
  if (ck.params['classifier.weight']) {
    const n = ck.params['classifier.weight'].shape[1]!;
    const id2label = (ck.config['id2label'] ?? {}) as Record<string, string>;
    labels = Array.from({ length: n }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`);
  }
  return { cfg: ck.cfg, params: ck.params, tok, labels, config: ck.config };
}

/**
 * Checks and reads an earlier run's pretrained/ files for `--resume` (pure: the CLI runs it in
 * Node before the browser starts): the folder, its optimizer state and progress, that --steps
 * does not go back and --block fits its positions. The corpus check (same documents) is
 * train.ts's, which has the documents.
 */
export function checkBertResume(
  files: Readonly<Record<string, Uint8Array>>,
  steps: number,
  block: number,
): { tok: WordPieceTokenizer; cfg: BertConfig; params: BertParams; optimizer: Uint8Array; progress: TrainingProgress } {
  const optimizer = files['optimizer.safetensors'];
  if (!optimizer)
    throw new InputError(
      'bert --resume: the folder has no optimizer.safetensors (give the pretrained/ folder of a bert run, or the run folder holding it)',
    );
  const ck = openBertFolder(files);
  const progress = (ck.config['shadergrad'] as { progress?: TrainingProgress } | undefined)?.progress;
  if (!progress || !Number.isSafeInteger(progress.step) || typeof progress['batcher'] !== 'object')
    throw new InputError(
      'bert --resume: config.json has no "shadergrad.progress" (step and batch position): not a checkpoint written by a bert run',
    );
  if (steps < progress.step)
    throw new InputError(
      `bert --resume: the checkpoint is at pretraining step ${progress.step}; --steps ${steps} would go back (give --steps ≥ ${progress.step})`,
    );
  if (ck.cfg.maxPosition < block)
    throw new InputError(
      `bert --resume: the checkpoint has ${ck.cfg.maxPosition} positions, fewer than --block ${block}`,
    );
  return { tok: ck.tok, cfg: ck.cfg, params: ck.params, optimizer, progress };
}
