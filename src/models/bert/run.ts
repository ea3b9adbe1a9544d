// The whole BERT lesson as one run (runBert): WordPiece on the corpus, pretraining (train.ts),
// fine-tuning (finetune.ts) and the Hugging Face checkpoint files of both, which the train CLI
// runs (demos/train/jobs.ts). A run can resume from its pretrained/ files and checkpoint midway.
import type { GpuContext } from '../../gpu/device';
import { InputError } from '../../util/errors';
import type { WordPieceTokenizer } from '../../text/wordpiece';
import { crc32 } from '../../io/checkpoint';
import { bertConfig, type BertConfig } from './graph';
import {
  bertTexts,
  documentsText,
  encodeBertData,
  pretrainDocuments,
  taskDocuments,
  trainBertTokenizer,
} from './corpus';
import { BertPretraining, type BertPretrainEval, type BertPretrainProgress } from './train';
import { finetuneBert, type BertFinetuneEval, type BertFinetuneProgress } from './finetune';
import { checkBertResume } from './folder';
import { saveBertCheckpoint, type BertCheckpointFiles, type BertParams } from './hf';
import type { EvalHooks, TrainHooks } from '../hooks';

export type BertProgress = BertPretrainProgress | BertFinetuneProgress;
export type BertEval = BertPretrainEval | BertFinetuneEval;

/**
 * A run's options (BERT_DEFAULTS has every one with a default). Hooks: onProgress after every step
 * of either phase, onEval after each phase's held-out evaluation; shouldStop ends the phase that
 * is running after its step (pretraining stopped early is evaluated, saved and fine-tuned from).
 */
export interface BertRunOptions extends TrainHooks<BertProgress>, EvalHooks<BertEval> {
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
  /** Held-out pretraining batches for the MLM/NSP metrics, and their seed (default seed + BERT_DEFAULTS.evalSeedOffset). */
  evalBatches: number;
  evalSeed?: number;
  /** Pretraining reads the batch accuracies every this many steps (default BERT_DEFAULTS.readEvery). */
  readEvery?: number;
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

/** The options config.json records (shadergrad.options), in this order; no hooks, no file contents. */
const RECORDED = [
  'vocab',
  'layers',
  'heads',
  'embd',
  'block',
  'batch',
  'steps',
  'finetuneSteps',
  'seed',
  'lr',
  'finetuneLr',
  'dropout',
  'freezeEncoder',
  'evalBatches',
  'taskText',
  'checkpointEvery',
  'evalSeed',
  'readEvery',
  'stopAfter',
] as const;

function recordedOptions(o: BertRunOptions): Record<string, unknown> {
  const picked = Object.fromEntries(RECORDED.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return {
    ...picked,
    corpus: o.corpus === undefined ? 'built-in' : 'file',
    labels: o.labels === undefined ? 'built-in' : 'file',
    resume: o.resume ? 'yes' : 'no',
  };
}

export async function runBert(ctx: GpuContext, o: BertRunOptions): Promise<BertRunResult> {
  const texts = bertTexts(o);
  // Task-adaptive pretraining (Gururangan et al. 2020, "Don't Stop Pretraining"): the labelled
  // set's training texts, labels unused, join the pretraining corpus as documents of a few
  // consecutive texts, repeated (corpus.ts). From the documents alone, our encoder (and a PyTorch
  // replica) fine-tuned to ≥ 95% for only some seeds; with them, for all (README, BERT).
  const taskTexts = o.taskText ? taskDocuments(texts.labelled.train) : [];
  const dataCrc = crc32(new TextEncoder().encode(`${documentsText(texts.docs)}\n${taskTexts.flat().join('\n')}`));
  const resumed = o.resume ? readResume(o.resume, dataCrc, o.steps, o.block) : null;
  const data = encodeBertData(texts, resumed?.tok ?? trainBertTokenizer(texts, o.vocab));
  const { tok, s } = data;
  const cfg = resumed
    ? { ...resumed.cfg, dropout: o.dropout }
    : bertConfig({
        vocabSize: tok.vocabSize,
        hidden: o.embd,
        layers: o.layers,
        heads: o.heads,
        maxPosition: o.block,
        dropout: o.dropout,
      });
  const options = recordedOptions(o);
  /** The pretrained/ files of the encoder now (mid-run checkpoints and the final one). */
  const pretrainedFiles = async (
    run: BertPretraining,
    w: BertParams,
    extra: Record<string, number> = {},
  ): Promise<BertRunResult['pretrained']> => {
    const state = await run.pre.optimizerState({ batcher: run.batcher.state(), data_crc32: dataCrc });
    const files = saveBertCheckpoint(w, cfg, tok.toVocabTxt(), {
      architecture: 'BertForPreTraining',
      padTokenId: s.pad,
      extra: { options, ...extra, progress: state.progress },
    });
    return { ...files, 'optimizer.safetensors': state.optimizer };
  };

  const t0 = performance.now();
  const docs = { train: pretrainDocuments(data, o.taskText), heldOut: data.evalDocs, baseline: data.trainDocs };
  const run = await BertPretraining.create(ctx, cfg, docs, s, {
    batch: o.batch,
    block: o.block,
    lr: o.lr,
    steps: o.steps,
    seed: o.seed,
    evalBatches: o.evalBatches,
    evalSeed: o.evalSeed,
  });
  let pretrained: BertRunResult['pretrained'];
  let weights: BertParams;
  let mlm: BertPretrainEval;
  try {
    if (resumed) run.restore(resumed.params, resumed.optimizer, resumed.progress);
    const onCheckpoint = o.onCheckpoint;
    mlm = await run.train({
      until: o.stopAfter,
      readEvery: o.readEvery,
      onProgress: o.onProgress,
      onEval: o.onEval,
      shouldStop: o.shouldStop,
      checkpointEvery: o.checkpointEvery,
      onCheckpoint:
        onCheckpoint &&
        (async (step) => onCheckpoint({ step, files: await pretrainedFiles(run, await run.pre.weights()) })),
    });
    weights = await run.pre.weights();
    pretrained = await pretrainedFiles(run, weights, { mlm_accuracy: mlm.mlmAccuracy });
  } finally {
    run.destroy();
  }
  const pretrainSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const ft = await finetuneBert(
    ctx,
    cfg,
    data,
    s,
    {
      batch: o.batch,
      block: o.block,
      lr: o.finetuneLr,
      steps: o.finetuneSteps,
      seed: o.seed,
      freezeEncoder: o.freezeEncoder,
      onProgress: o.onProgress,
      onEval: o.onEval,
      shouldStop: o.shouldStop,
    },
    weights,
  );
  let classifier: BertCheckpointFiles;
  try {
    classifier = saveBertCheckpoint(await ft.classifier.weights(), cfg, tok.toVocabTxt(), {
      architecture: 'BertForSequenceClassification',
      padTokenId: s.pad,
      labels: ['negative', 'positive'],
      extra: { finetune_accuracy: ft.accuracy },
    });
  } finally {
    ft.classifier.destroy();
  }
  return {
    metrics: {
      model: 'bert',
      params: run.pre.params,
      classifier_params: ft.classifier.params,
      vocab: tok.vocabSize,
      steps: run.step,
      finetune_steps: o.finetuneSteps,
      mlm_loss: mlm.mlmLoss,
      mlm_accuracy: mlm.mlmAccuracy,
      unigram_accuracy: mlm.unigram,
      nsp_accuracy: mlm.nspAccuracy,
      finetune_loss: ft.loss,
      pretrain_truncated_pairs: run.batcher.truncated,
      labelled_truncated: [...data.train, ...data.test].filter((e) => e.ids.length > o.block - 2).length,
      finetune_accuracy: ft.accuracy,
      tokens_per_sec: run.tokens / pretrainSeconds,
      pretrain_seconds: pretrainSeconds,
      finetune_seconds: (performance.now() - t1) / 1000,
      config: cfg,
    },
    pretrained,
    classifier,
    tokenizer: tok,
    heldOut: data.test.map((e, i) => ({ label: e.label, positive: ft.probs[i]![1]!, text: e.text })),
  };
}

/** checkBertResume, and the checkpoint was pretrained on these documents. */
function readResume(
  files: Readonly<Record<string, Uint8Array>>,
  dataCrc: number,
  steps: number,
  block: number,
): ReturnType<typeof checkBertResume> {
  const r = checkBertResume(files, steps, block);
  if (r.progress['data_crc32'] !== dataCrc)
    throw new InputError(
      `bert --resume: the checkpoint was pretrained on other documents (CRC-32 ${String(r.progress['data_crc32'])}, this corpus ${dataCrc}); resuming needs the same --corpus (and --seed for the built-in one)`,
    );
  return r;
}
