// The whole BERT lesson as one run, shared by the train CLI (demos/train/jobs.ts) and tests:
// train WordPiece on the corpus, pretrain with MLM + NSP, measure masked-token accuracy on
// held-out documents beside the unigram baseline, fine-tune a [CLS] classifier on labelled
// sentences, measure held-out accuracy, and export Hugging Face checkpoint files.
//
// Corpus text: documents separated by blank lines, one sentence per line (a one-line document
// is split after . ! ?). Labelled text: `label<TAB>text` lines (src/text/bert_data.ts).
import type { GpuContext } from '../gpu/device';
import { InputError } from '../util/errors';
import { WordPieceTokenizer } from '../text/wordpiece';
import { documentsToText, generateBertDocuments, generateSentiment, parseLabelledTsv, type LabelledText } from '../text/bert_data';
import { Rng } from '../util/prng';
import { bertConfig, IGNORE, type BertConfig } from './bert';
import { PretrainBatcher, LabelledBatcher, type BatcherState, type PretrainBatch, type SpecialIds } from './bert_batch';
import { BertClassifier, BertPretrainer, specialsOf } from './bert_model';
import { openBertFolder } from './bert_use';
import { saveBertCheckpoint, type BertCheckpointFiles, type BertParams } from '../io/bert_hf';
import { crc32, type TrainingProgress } from '../io/checkpoint';

export interface BertRunOptions {
  vocab: number;
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batch: number;
  steps: number;
  finetuneSteps: number;
  seed: number;
  lr: number;
  finetuneLr: number;
  dropout: number;
  freezeEncoder: boolean;
  /** Corpus text (default: the built-in documents) and `label<TAB>text` (default: built-in sentiment). */
  corpus?: string;
  labels?: string;
  /** Held-out pretraining batches for the MLM/NSP metrics. */
  evalBatches: number;
  /** Also pretrain on the labelled set's training texts (labels unused): task-adaptive pretraining. */
  taskText: boolean;
  /**
   * The `pretrained/` files of an earlier run (model.safetensors, config.json, vocab.txt,
   * optimizer.safetensors, tokenizer_config.json): pretraining continues from its step with its
   * weights, AdamW state, vocabulary and batch position, up to `steps`; fine-tuning then runs anew.
   */
  resume?: Readonly<Record<string, Uint8Array>>;
  /** Stop pretraining after this step, as an interrupted run would (the schedule still spans `steps`). */
  stopAfter?: number;
  /**
   * Every this many pretraining steps (0 or unset: never; not at the last), the `pretrained/`
   * files as they are then (the same files `resume` takes) go to onCheckpoint, awaited: a run
   * that fails later leaves one to continue from exactly.
   */
  checkpointEvery?: number;
  onCheckpoint?: (c: { step: number; files: BertRunResult['pretrained'] }) => Promise<void> | void;
}

export const BERT_DEFAULTS: BertRunOptions = { vocab: 512, layers: 2, heads: 4, embd: 64, block: 32, batch: 32, steps: 300, finetuneSteps: 1000, seed: 1, lr: 2e-3, finetuneLr: 1e-3, dropout: 0, freezeEncoder: false, evalBatches: 8, taskText: true, checkpointEvery: 100 };

/** Task texts per pretraining document, and how many times those documents are repeated. */
const TASK_DOC = 5;
const TASK_REPEAT = 2;

export interface BertProgress {
  phase: 'pretrain' | 'finetune';
  step: number;
  total: number;
  info: Record<string, number>;
}

export interface BertRunResult {
  metrics: {
    model: 'bert';
    params: number;
    classifier_params: number;
    vocab: number;
    steps: number;
    finetune_steps: number;
    mlm_loss: number;
    mlm_accuracy: number;
    unigram_accuracy: number;
    nsp_accuracy: number;
    finetune_loss: number;
    /** Pretraining pairs and labelled sentences (train + held-out) cut to fit the block. */
    pretrain_truncated_pairs: number;
    labelled_truncated: number;
    finetune_accuracy: number;
    tokens_per_sec: number;
    pretrain_seconds: number;
    finetune_seconds: number;
    config: BertConfig;
  };
  /** Hugging Face files of the pretrained model (BertForPreTraining, plus its AdamW state) and of the classifier. */
  pretrained: BertCheckpointFiles & { 'optimizer.safetensors': Uint8Array };
  classifier: BertCheckpointFiles;
  tokenizer: WordPieceTokenizer;
  /** The classifier on the held-out labelled sentences: label, P(label 1), text. */
  heldOut: { label: number; positive: number; text: string }[];
}

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
  if (docs.length < MIN_BERT_DOCUMENTS) throw new InputError(`bert: the corpus has ${docs.length} document${docs.length === 1 ? '' : 's'}; it needs at least ${MIN_BERT_DOCUMENTS} (documents are separated by blank lines, a sentence per line)`);
  return docs;
}

/** Documents (lists of sentences) from corpus text. */
export function parseCorpus(text: string): string[][] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => {
      const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
      return lines.length === 1 ? lines[0]!.split(/(?<=[.!?])\s+/).filter(Boolean) : lines;
    })
    .filter((d) => d.length > 0);
}

/** Share of masked targets equal to the most frequent ordinary token of the training documents. */
export function unigramBaseline(trainDocs: readonly (readonly number[][])[], evalBatches: readonly PretrainBatch[], s: SpecialIds): number {
  const counts = new Map<number, number>();
  for (const d of trainDocs) for (const sent of d) for (const t of sent) counts.set(t, (counts.get(t) ?? 0) + 1);
  let top = -1;
  let best = -1;
  for (const [t, c] of counts) if (t !== s.unk && c > best) [top, best] = [t, c];
  let right = 0;
  let total = 0;
  for (const b of evalBatches) for (const t of b.labels) if (t !== IGNORE) (total++, t === top && right++);
  return right / Math.max(1, total);
}

export async function runBert(ctx: GpuContext, o: BertRunOptions, progress: (p: BertProgress) => void = () => {}): Promise<BertRunResult> {
  const docs = o.corpus === undefined ? generateBertDocuments({ seed: o.seed }).map((d) => d.sentences) : bertDocuments(o.corpus);
  const sentiment: { train: LabelledText[]; test: LabelledText[] } = o.labels === undefined ? generateSentiment({ seed: o.seed }) : splitLabelled(parseLabelledTsv(o.labels, 'labels'), o.seed);
  const docsText = documentsToText(docs.map((sentences) => ({ topic: '', sentences })));
  // Task-adaptive pretraining (Gururangan et al. 2020, "Don't Stop Pretraining"): the labelled
  // set's training texts, labels unused, join the pretraining corpus as documents of TASK_DOC
  // consecutive texts, repeated TASK_REPEAT times. From the documents alone, our encoder (and a
  // PyTorch replica) fine-tuned to ≥ 95% for only some seeds; with them, for all (README, BERT).
  const taskDocs = o.taskText ? taskDocuments(sentiment.train) : [];
  const dataCrc = crc32(new TextEncoder().encode(`${docsText}\n${taskDocs.flat().join('\n')}`));
  const resumed = o.resume ? readResume(o.resume, dataCrc, o.steps, o.block) : null;
  const tok = resumed?.tok ?? WordPieceTokenizer.train(`${docsText}\n${sentiment.train.map((e) => e.text).join('\n')}`, { vocabSize: o.vocab });
  const s = specialsOf(tok);
  const encDocs = docs.map((d) => d.map((x) => tok.encode(x)));
  const nEval = Math.max(2, Math.round(docs.length / 10));
  const trainDocs = encDocs.slice(0, -nEval);
  const evalDocs = encDocs.slice(-nEval);
  const encTask = taskDocs.map((d) => d.map((x) => tok.encode(x)));
  const pretrainDocs = withTaskDocuments(trainDocs, encTask);
  const cfg = resumed ? { ...resumed.cfg, dropout: o.dropout } : bertConfig({ vocabSize: tok.vocabSize, hidden: o.embd, layers: o.layers, heads: o.heads, maxPosition: o.block, dropout: o.dropout });
  const base = { batch: o.batch, block: o.block, seed: o.seed };
  const options = { ...o, corpus: o.corpus === undefined ? 'built-in' : 'file', labels: o.labels === undefined ? 'built-in' : 'file', resume: o.resume ? 'yes' : 'no' };
  /** The pretrained/ files of the encoder now (mid-run checkpoints and the final one). */
  const pretrainedFiles = async (p: BertPretrainer, w: Awaited<ReturnType<BertPretrainer['weights']>>, batcher: PretrainBatcher, extra: Record<string, number> = {}): Promise<BertRunResult['pretrained']> => {
    const state = await p.optimizerState({ batcher: batcher.state(), data_crc32: dataCrc });
    const files = saveBertCheckpoint(w, cfg, tok.toVocabTxt(), { architecture: 'BertForPreTraining', padTokenId: s.pad, extra: { options, ...extra, progress: state.progress } });
    return { ...files, 'optimizer.safetensors': state.optimizer };
  };

  // pretraining
  const pre = await BertPretrainer.create(ctx, cfg, { ...base, lr: o.lr, steps: o.steps });
  let pretrained: BertRunResult['pretrained'];
  let weights;
  let mlm = { mlmLoss: NaN, nspLoss: NaN, mlmAccuracy: NaN, nspAccuracy: NaN, masked: 0 };
  let unigram = NaN;
  let realTokens = 0;
  let truncatedPairs = 0;
  let stepsDone = 0;
  const t0 = performance.now();
  try {
    const batcher = new PretrainBatcher(pretrainDocs, s, o.batch, o.block, o.seed);
    let first = 1;
    if (resumed) {
      first = pre.restore(resumed.params, resumed.optimizer, resumed.progress).step + 1;
      batcher.restore(resumed.progress['batcher'] as BatcherState);
    }
    const last = Math.min(o.steps, o.stopAfter ?? o.steps);
    for (let i = first; i <= last; i++) {
      const b = batcher.next();
      realTokens += b.kv_len.reduce((x, y) => x + y, 0);
      const read = i % 25 === 0 || i === last;
      const st = await pre.step(b, read);
      const info: Record<string, number> = { loss: st.loss, mlm: st.mlmLoss, nsp: st.nspLoss };
      if (read) Object.assign(info, { 'mask acc': st.mlmAccuracy!, 'nsp acc': st.nspAccuracy! });
      progress({ phase: 'pretrain', step: i, total: last, info });
      if (o.checkpointEvery && o.onCheckpoint && i % o.checkpointEvery === 0 && i < last) await o.onCheckpoint({ step: i, files: await pretrainedFiles(pre, await pre.weights(), batcher) });
    }
    await ctx.sync();
    stepsDone = Math.max(last, first - 1);
    truncatedPairs = batcher.truncated;
    const evalBatcher = new PretrainBatcher(evalDocs, s, o.batch, o.block, o.seed + 7919);
    const evalBatches = Array.from({ length: o.evalBatches }, () => evalBatcher.next());
    mlm = await pre.evaluate(evalBatches);
    unigram = unigramBaseline(trainDocs, evalBatches, s);
    weights = await pre.weights();
    pretrained = await pretrainedFiles(pre, weights, batcher, { mlm_accuracy: mlm.mlmAccuracy });
  } finally {
    pre.destroy();
  }
  const pretrainSeconds = (performance.now() - t0) / 1000;

  // fine-tuning
  const t1 = performance.now();
  const cls = await BertClassifier.create(ctx, cfg, 2, { ...base, lr: o.finetuneLr, steps: o.finetuneSteps, freezeEncoder: o.freezeEncoder, seed: o.seed }, weights);
  let classifier: BertCheckpointFiles;
  let accuracy = NaN;
  let lastLoss = NaN;
  let labelledTruncated = 0;
  let heldOut: BertRunResult['heldOut'] = [];
  try {
    const examples = sentiment.train.map((e) => ({ ids: tok.encode(e.text), label: e.label }));
    const held = sentiment.test.map((e) => ({ ids: tok.encode(e.text), label: e.label }));
    labelledTruncated = [...examples, ...held].filter((e) => e.ids.length > o.block - 2).length;
    const batcher = new LabelledBatcher(examples, s, o.batch, o.block, o.seed);
    for (let i = 1; i <= o.finetuneSteps; i++) {
      const st = await cls.step(batcher.next());
      lastLoss = st.loss;
      progress({ phase: 'finetune', step: i, total: o.finetuneSteps, info: { loss: st.loss, acc: st.accuracy } });
    }
    const probs = await cls.predict(held.map((e) => e.ids), s);
    heldOut = sentiment.test.map((e, i) => ({ label: e.label, positive: probs[i]![1]!, text: e.text }));
    accuracy = heldOut.filter((e) => (e.positive > 0.5 ? 1 : 0) === e.label).length / Math.max(1, heldOut.length);
    classifier = saveBertCheckpoint(await cls.weights(), cfg, tok.toVocabTxt(), { architecture: 'BertForSequenceClassification', padTokenId: s.pad, labels: ['negative', 'positive'], extra: { finetune_accuracy: accuracy } });
  } finally {
    cls.destroy();
  }
  return {
    metrics: {
      model: 'bert',
      params: pre.params,
      classifier_params: cls.params,
      vocab: tok.vocabSize,
      steps: stepsDone,
      finetune_steps: o.finetuneSteps,
      mlm_loss: mlm.mlmLoss,
      mlm_accuracy: mlm.mlmAccuracy,
      unigram_accuracy: unigram,
      nsp_accuracy: mlm.nspAccuracy,
      finetune_loss: lastLoss,
      pretrain_truncated_pairs: truncatedPairs,
      labelled_truncated: labelledTruncated,
      finetune_accuracy: accuracy,
      tokens_per_sec: realTokens / pretrainSeconds,
      pretrain_seconds: pretrainSeconds,
      finetune_seconds: (performance.now() - t1) / 1000,
      config: cfg,
    },
    pretrained: pretrained!,
    classifier: classifier!,
    tokenizer: tok,
    heldOut,
  };
}

/**
 * Checks and reads an earlier run's pretrained/ files for `--resume` (pure: the CLI runs it in
 * Node before the browser starts): the folder, its optimizer state and progress, that --steps
 * does not go back and --block fits its positions. The corpus check (same documents) is readResume's.
 */
export function checkBertResume(files: Readonly<Record<string, Uint8Array>>, steps: number, block: number): { tok: WordPieceTokenizer; cfg: BertConfig; params: BertParams; optimizer: Uint8Array; progress: TrainingProgress } {
  const optimizer = files['optimizer.safetensors'];
  if (!optimizer) throw new InputError('bert --resume: the folder has no optimizer.safetensors (give the pretrained/ folder of a bert run, or the run folder holding it)');
  const ck = openBertFolder(files);
  const progress = (ck.config['shadergrad'] as { progress?: TrainingProgress } | undefined)?.progress;
  if (!progress || !Number.isSafeInteger(progress.step) || typeof progress['batcher'] !== 'object') throw new InputError('bert --resume: config.json has no "shadergrad.progress" (step and batch position): not a checkpoint written by a bert run');
  if (steps < progress.step) throw new InputError(`bert --resume: the checkpoint is at pretraining step ${progress.step}; --steps ${steps} would go back (give --steps ≥ ${progress.step})`);
  if (ck.cfg.maxPosition < block) throw new InputError(`bert --resume: the checkpoint has ${ck.cfg.maxPosition} positions, fewer than --block ${block}`);
  return { tok: ck.tok, cfg: ck.cfg, params: ck.params, optimizer, progress };
}

/** checkBertResume, and the checkpoint was pretrained on these documents. */
function readResume(files: Readonly<Record<string, Uint8Array>>, dataCrc: number, steps: number, block: number): ReturnType<typeof checkBertResume> {
  const r = checkBertResume(files, steps, block);
  if (r.progress['data_crc32'] !== dataCrc) throw new InputError(`bert --resume: the checkpoint was pretrained on other documents (CRC-32 ${String(r.progress['data_crc32'])}, this corpus ${dataCrc}); resuming needs the same --corpus (and --seed for the built-in one)`);
  return r;
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
