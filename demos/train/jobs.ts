// Training jobs the train CLI (scripts/train.ts) and the train page run, by model name: each
// trains on the GPU, reports progress, and returns its metrics and the checkpoint files. A new
// model adds a job here and its flags to MODELS in scripts/lib/flags.ts.
import { io, classic, bert, type GpuContext } from '../../src/index';
import { word2vecJob } from './word2vec_job';
import { gptJob, resumeFiles } from '../gpt/job';
import { rnnJob } from './rnn_job';

export type FlagValue = string | number | boolean;

export interface TrainJob {
  model: string;
  seed: number;
  steps: number;
  /** The model's flags (defaults filled in by the CLI). */
  options: Record<string, FlagValue>;
  /** Contents of file flags, by flag name. */
  files: Record<string, string>;
}

export interface Progress {
  step: number;
  total: number;
  info: Record<string, number | string>;
}

export interface JobResult {
  /** model, steps, loss, accuracy plus the model's own; the runner adds seconds and adapter. */
  metrics: Record<string, unknown> & { steps: number; loss: number; accuracy: number };
  checkpoint: io.CheckpointFiles;
}

/** A checkpoint written during a run (files as in JobResult.checkpoint), for the CLI to save at once. */
export type CheckpointSink = (c: { step: number; files: Record<string, Uint8Array> }) => Promise<void>;

export type Job = (
  ctx: GpuContext,
  job: TrainJob,
  progress: (p: Progress) => void,
  checkpoint?: CheckpointSink,
) => Promise<JobResult>;

const num = (v: FlagValue | undefined, d: number): number => (typeof v === 'number' ? v : d);

/** A BERT step's numbers as the CLI's progress line shows them (accuracies on the steps that read them). */
function bertInfo(p: bert.BertProgress): Record<string, number> {
  if (p.phase === 'finetune') return { loss: p.loss, acc: p.accuracy };
  const info: Record<string, number> = { loss: p.loss, mlm: p.mlmLoss, nsp: p.nspLoss };
  if (p.mlmAccuracy !== undefined) Object.assign(info, { 'mask acc': p.mlmAccuracy, 'nsp acc': p.nspAccuracy! });
  return info;
}

export const JOBS: Record<string, Job> = {
  /** A mini GPT on the built-in stories or --corpus FILE (demos/gpt/job.ts); loss = val loss. */
  gpt: async (ctx, job, progress, checkpoint) => (await gptJob(ctx, job, progress, checkpoint)) as unknown as JobResult,

  /** Recurrent LMs on the built-in stories or --corpus FILE (demos/train/rnn_job.ts); loss = val loss. */
  rnn: async (ctx, job, progress) => (await rnnJob(ctx, job, progress)) as unknown as JobResult,
  lstm: async (ctx, job, progress) => (await rnnJob(ctx, job, progress)) as unknown as JobResult,
  gru: async (ctx, job, progress) => (await rnnJob(ctx, job, progress)) as unknown as JobResult,

  /** Mini BERT: pretraining (steps) then fine-tuning (finetune-steps); Hugging Face files under pretrained/ and classifier/. */
  async bert(ctx, job, progress, checkpoint) {
    const d = bert.BERT_DEFAULTS;
    const o = job.options;
    const ft = num(o['finetune-steps'], d.finetuneSteps);
    const total = job.steps + ft;
    const r = await bert.runBert(ctx, {
      seed: job.seed,
      steps: job.steps,
      finetuneSteps: ft,
      vocab: num(o.vocab, d.vocab),
      layers: num(o.layers, d.layers),
      heads: num(o.heads, d.heads),
      embd: num(o.embd, d.embd),
      block: num(o.block, d.block),
      batch: num(o.batch, d.batch),
      lr: num(o.lr, d.lr),
      finetuneLr: num(o['finetune-lr'], d.finetuneLr),
      dropout: num(o.dropout, d.dropout),
      freezeEncoder: o['freeze-encoder'] === true,
      evalBatches: d.evalBatches,
      taskText: o['task-text'] !== 'off',
      checkpointEvery: num(o['checkpoint-every'], d.checkpointEvery),
      corpus: job.files.corpus,
      labels: job.files.labels,
      resume: resumeFiles(job.files),
      ...(checkpoint
        ? {
            onCheckpoint: (c: { step: number; files: Record<string, Uint8Array> }) =>
              checkpoint({
                step: c.step,
                files: Object.fromEntries(Object.entries(c.files).map(([k, v]) => [`pretrained/${k}`, v])),
              }),
          }
        : {}),
      onProgress: (p) =>
        progress({
          step: p.phase === 'pretrain' ? p.step : job.steps + p.step,
          total,
          info: { [p.phase]: p.step, ...bertInfo(p) },
        }),
    });
    const files: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(r.pretrained)) files[`pretrained/${k}`] = v;
    for (const [k, v] of Object.entries(r.classifier)) files[`classifier/${k}`] = v;
    // the classifier's answers on the held-out split, to compare with other implementations
    files['heldout.tsv'] = new TextEncoder().encode(
      `label\tp_positive\ttext\n${r.heldOut.map((e) => `${e.label}\t${e.positive}\t${e.text}`).join('\n')}\n`,
    );
    return {
      metrics: { ...r.metrics, loss: r.metrics.mlm_loss, accuracy: r.metrics.finetune_accuracy },
      checkpoint: files as unknown as io.CheckpointFiles,
    };
  },
  /** steps = most updates; stops after an epoch with no error. loss = error rate of the last epoch. */
  async perceptron(ctx, job, progress) {
    const gate = String(job.options.gate ?? classic.PERCEPTRON_DEFAULTS.gate) as classic.Gate;
    const eta = num(job.options.lr, classic.PERCEPTRON_DEFAULTS.eta);
    const model = await classic.Perceptron.create(ctx, { eta });
    try {
      const maxEpochs = Math.max(1, Math.floor(job.steps / 4));
      let errors = 0;
      const onProgress = (u: classic.PerceptronUpdate): void => {
        errors = (u.index === 0 ? 0 : errors) + (u.error === 0 ? 0 : 1);
        progress({ step: model.updates, total: maxEpochs * 4, info: { epoch: u.epoch, 'errors this epoch': errors } });
      };
      const run = await classic.runPerceptron(ctx, gate, { eta, maxEpochs, onProgress }, model);
      const right = classic.classify(run.w, run.b).filter((y, i) => y === classic.GATE_TARGETS[gate][i]).length;
      const checkpoint = await model.save({ gate });
      return {
        metrics: {
          steps: run.history.length,
          epochs: run.epochs,
          loss: run.errorsPerEpoch.at(-1)! / 4,
          accuracy: right / 4,
          converged: run.converged,
          errorsPerEpoch: run.errorsPerEpoch,
          gate,
          eta,
          w: run.w,
          b: run.b,
        },
        checkpoint,
      };
    } finally {
      model.destroy();
    }
  },

  /** XOR MLP, full-batch Adam; steps = most steps (stops early at stop-loss). */
  async mlp(ctx, job, progress) {
    const d = classic.MLP_DEFAULTS;
    const o = {
      seed: job.seed,
      lr: num(job.options.lr, d.lr),
      hidden: num(job.options.hidden, d.hidden),
      steps: job.steps,
      stopLoss: num(job.options['stop-loss'], d.stopLoss),
    };
    const { model, history } = await classic.trainXor(ctx, {
      ...o,
      onProgress: (s) => progress({ step: s.step, total: job.steps, info: { loss: s.loss, acc: s.accuracy } }),
    });
    try {
      // metrics describe the trained weights: one forward pass after the last update
      const probs = Array.from((await model.surface(2, 0, 1)) as Float32Array);
      // surface(2, 0, 1) is the grid (0,0), (1,0), (0,1), (1,1): reorder to the examples' order
      const p = [probs[0]!, probs[2]!, probs[1]!, probs[3]!];
      const targets = [0, 1, 1, 0];
      const accuracy = p.filter((v, i) => (v >= 0.5 ? 1 : 0) === targets[i]).length / 4;
      const loss =
        -p.reduce((s, v, i) => s + (targets[i] ? Math.log(Math.max(v, 1e-12)) : Math.log(Math.max(1 - v, 1e-12))), 0) /
        4;
      const checkpoint = await model.save();
      return {
        metrics: {
          ...o,
          steps: history.length,
          loss,
          accuracy,
          probs: p,
          lossCurve: history.map((s) => s.loss),
          weights: await model.weights(),
        },
        checkpoint,
      };
    } finally {
      model.destroy();
    }
  },

  /** word2vec: --epochs passes; steps = GPU batches; accuracy = analogy accuracy; writes vectors.txt. */
  word2vec: word2vecJob,
};
