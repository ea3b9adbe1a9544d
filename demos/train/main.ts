// The train runner page: `window.__train.run(job)` trains one model (demos/train/jobs.ts) on
// this page's GPU and returns its metrics and checkpoint files as base64 (or its error, settled:
// demos/common/settle.ts), for the CLI
// (scripts/train.ts), which also exposes `window.__trainProgress` to draw a progress bar.
import { createContext, io, type GpuContext } from '../../src/index';
import { JOBS, type CheckpointSink, type Progress, type TrainJob } from './jobs';
import { toBase64 } from '../common/base64';
import { settle, type Settled } from '../common/settle';

export interface TrainResult {
  metrics: Record<string, unknown>;
  /** Checkpoint files, base64. */
  files: Record<string, string>;
}

declare global {
  interface Window {
    __train: { models(): string[]; run(job: TrainJob): Promise<Settled<TrainResult>> };
    /** Exposed by the CLI (page.exposeFunction) to report progress in the terminal. */
    __trainProgress?: (p: Progress) => unknown;
    /** Exposed by the CLI to write a checkpoint taken during the run (files base64) into --out. */
    __trainCheckpoint?: (c: { step: number; files: Record<string, string> }) => Promise<unknown>;
  }
}

let ctxPromise: Promise<GpuContext> | null = null;
const context = (): Promise<GpuContext> => (ctxPromise ??= createContext());

async function runJob(
  job: TrainJob,
  onProgress: (p: Progress) => void,
  checkpoint?: CheckpointSink,
): Promise<{ metrics: Record<string, unknown>; checkpoint: io.CheckpointFiles }> {
  const fn = JOBS[job.model];
  if (!fn) throw new Error(`no training job "${job.model}" (jobs: ${Object.keys(JOBS).join(', ')})`);
  const ctx = await context();
  const t0 = performance.now();
  // report at most every 100 ms, and the last step (a run may stop early)
  let last = 0;
  let held: Progress | null = null;
  const progress = (p: Progress): void => {
    const now = performance.now();
    held = p;
    if (now - last < 100 && p.step < p.total) return;
    last = now;
    held = null;
    onProgress(p);
  };
  const r = await fn(ctx, job, progress, checkpoint);
  if (held) onProgress(held);
  await ctx.sync();
  const seconds = (performance.now() - t0) / 1000;
  return {
    metrics: {
      model: job.model,
      ...r.metrics,
      seconds,
      adapter: ctx.adapter.name,
      seed: job.seed,
      maxSteps: job.steps,
      options: job.options,
    },
    checkpoint: r.checkpoint,
  };
}

window.__train = {
  models: () => Object.keys(JOBS),
  run: (job) =>
    settle(async () => {
      const save = window.__trainCheckpoint;
      const sink: CheckpointSink | undefined =
        save &&
        (async (c) =>
          void (await save({
            step: c.step,
            files: Object.fromEntries(Object.entries(c.files).map(([k, v]) => [k, toBase64(v)])),
          })));
      const r = await runJob(job, (p) => void window.__trainProgress?.(p), sink);
      const files: Record<string, string> = {};
      for (const [name, bytes] of Object.entries(r.checkpoint)) files[name] = toBase64(bytes);
      return { metrics: r.metrics, files };
    }),
};

// ---- by hand ----------------------------------------------------------------------------------
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const select = $<HTMLSelectElement>('model');
for (const name of Object.keys(JOBS)) select.add(new Option(name, name));
let lastCheckpoint: io.CheckpointFiles | null = null;

$('run').addEventListener('click', () => {
  const job: TrainJob = {
    model: select.value,
    steps: Number($<HTMLInputElement>('steps').value) || 1,
    seed: Number($<HTMLInputElement>('seed').value) || 0,
    options: {},
    files: {},
  };
  $('status').textContent = 'training…';
  $<HTMLButtonElement>('run').disabled = true;
  runJob(
    job,
    (p) =>
      ($('status').textContent = `${p.step}/${p.total} ${Object.entries(p.info)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toPrecision(4) : v}`)
        .join(' ')}`),
  )
    .then((r) => {
      lastCheckpoint = r.checkpoint;
      $('metrics').textContent = JSON.stringify(r.metrics, null, 2);
      $('status').textContent = 'done';
      $<HTMLButtonElement>('download').disabled = false;
    })
    .catch((e: Error) => ($('status').textContent = `failed: ${e.message}`))
    .finally(() => ($<HTMLButtonElement>('run').disabled = false));
});
$('download').addEventListener(
  'click',
  () => lastCheckpoint && io.downloadCheckpoint(lastCheckpoint, `${select.value}-`),
);

// ready: '1' once the GPU is up; 'error' (with data-error) when this browser has no WebGPU
context()
  .then((ctx) => {
    $('adapter').textContent = ctx.adapter.name;
    document.body.dataset.ready = '1';
  })
  .catch((e: Error) => {
    $('adapter').textContent = `no WebGPU: ${e.message}`;
    document.body.dataset.error = e.message;
    document.body.dataset.ready = 'error';
  });

// Re-upload: the three files are read, cross-checked (CRC-32s, names, shapes) and summarised.
$<HTMLInputElement>('upload').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  io.readCheckpointFiles([...(input.files ?? [])])
    .then((files) => {
      const ck = io.parseCheckpoint(files);
      const params = Object.entries(ck.params).map(([n, t]) => `${n} [${t.shape.join(', ')}]`);
      $('metrics').textContent = JSON.stringify(
        { loaded: true, optimizer: ck.optimizer.name, progress: ck.progress, config: ck.config, params },
        null,
        2,
      );
      $('status').textContent = 'checkpoint loaded and verified';
    })
    .catch((e: Error) => ($('status').textContent = `could not load the checkpoint: ${e.message}`));
});
