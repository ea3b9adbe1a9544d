// The benchmark page: times each row of demos/bench/cases/*.ts against TensorFlow.js (webgpu
// backend) on the same adapter. Ours: record one iteration, submit, wait for the queue. Peer:
// run the same computation, flush TF.js's queue, wait for it. Both: warm-up runs, then the
// median wall time of `runs` iterations; GPU time from timestamp queries when the adapter has
// them (our profiler; tf.time's kernelMs). `npm run bench` drives this page headlessly. The
// tuning table the run used (ctx.tuning, overridable with `?tuning=key=value,…`) is shown,
// published in `__bench.tuning` and recorded in every row.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
// tfjs-core alone registers no gradient functions; the *_fwd_bwd rows need them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createContext, gpu, type GpuContext } from '../../src/index';
import type { BenchCase } from './case';

export interface BenchResult {
  name: string;
  shape: string;
  ours_ms: number;
  peer: string;
  peer_ms: number;
  speedup: number;
  gflops: number;
  gbps: number;
  ours_gpu_ms: number | null;
  peer_gpu_ms: number | null;
  runs: number;
  adapter: string;
  /** The tuning table of the run, by key. */
  tuning: gpu.Tuning;
}

const modules = import.meta.glob('./cases/*.ts', { eager: true }) as Record<string, { cases: BenchCase[] }>;
const allCases = Object.keys(modules)
  .sort()
  .flatMap((k) => modules[k]!.cases);

const params = new URLSearchParams(location.search);
const only = (params.get('only') ?? '').split(',').filter(Boolean);
const runs = Math.max(10, Number(params.get('runs') ?? 15));
const warmup = Math.max(1, Number(params.get('warmup') ?? 3));
const PEER = 'tfjs-webgpu@4.22';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A heavy row's iteration time, printed as it comes (a run of minutes shows its progress); returns ms. */
function note(c: BenchCase, what: string, ms: number): number {
  if (c.heavy) console.log(`bench: ${c.name} ${what} ${ms.toFixed(1)} ms`);
  return ms;
}

/** Timed runs and warm-ups of a row (heavy rows set their own). */
const runsOf = (c: BenchCase): { runs: number; warmup: number } =>
  c.heavy ? { runs: c.heavy.runs, warmup: 1 } : { runs, warmup };

async function timeOurs(ctx: GpuContext, c: BenchCase): Promise<{ ms: number; gpuMs: number | null }> {
  const { runs, warmup } = runsOf(c);
  const run = await c.ours(ctx);
  const once = async (profiler: gpu.Profiler | null): Promise<number> => {
    const t0 = performance.now();
    const rec = new gpu.Recorder(ctx, { label: c.name, profiler });
    await run.record(rec);
    rec.submit();
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) note(c, 'ours warm-up', await once(null));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(note(c, 'ours', await once(null)));
  let gpuMs: number | null = null;
  // heavy rows skip the timestamp passes: each would be another iteration of seconds
  if (ctx.features.timestampQuery && !c.heavy) {
    const prof = new gpu.Profiler(ctx);
    prof.emitMeasures = false;
    const per: number[] = [];
    for (let i = 0; i < Math.min(runs, 10); i++) {
      prof.reset();
      await once(prof);
      per.push((await prof.collect()).reduce((s, t) => s + t.ms, 0));
    }
    prof.destroy();
    gpuMs = median(per);
  }
  run.dispose();
  const errs = ctx.takeErrors();
  if (errs.length) throw errs[0];
  return { ms: median(times), gpuMs };
}

interface TfWebGpuBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Errors on TF.js's own device would otherwise go unseen (and make the peer look fast). */
const peerErrors: string[] = [];
function watchPeer(backend: TfWebGpuBackend): void {
  backend.device.addEventListener('uncapturederror', (ev) =>
    peerErrors.push((ev as GPUUncapturedErrorEvent).error.message),
  );
}

async function timePeer(c: BenchCase): Promise<{ ms: number; gpuMs: number | null }> {
  const { runs, warmup } = runsOf(c);
  const backend = tf.backend() as unknown as TfWebGpuBackend;
  const run = c.peer(tf);
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const outs = run.run();
    // End TF.js's open compute pass first: finishing an encoder with a pass still open makes the
    // command buffer invalid, and then none of the peer's work would run.
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    tf.dispose(outs);
    return ms;
  };
  for (let i = 0; i < warmup; i++) note(c, 'tfjs warm-up', await once());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(note(c, 'tfjs', await once()));
  let gpuMs: number | null = null;
  if (!c.heavy)
    try {
      const per: number[] = [];
      for (let i = 0; i < Math.min(runs, 5); i++) {
        const info = await tf.time(() => {
          tf.dispose(run.run());
        });
        if (typeof info.kernelMs === 'number') per.push(info.kernelMs);
      }
      if (per.length) gpuMs = median(per);
    } catch {
      gpuMs = null;
    }
  run.dispose();
  if (peerErrors.length) throw new Error(`TensorFlow.js reported WebGPU errors in ${c.name}: ${peerErrors.join('; ')}`);
  return { ms: median(times), gpuMs };
}

function fmt(x: number | null, d = 3): string {
  return x === null ? '—' : x.toFixed(d);
}

function addRow(r: BenchResult): void {
  const tr = document.createElement('tr');
  const cls = r.speedup >= 1 ? 'win' : 'loss';
  tr.innerHTML =
    `<td>${r.name}</td><td>${r.shape}</td><td>${fmt(r.ours_ms)}</td><td>${fmt(r.peer_ms)}</td>` +
    `<td class="${cls}">${r.speedup.toFixed(2)}×</td><td>${r.gflops.toFixed(2)}</td><td>${r.gbps.toFixed(2)}</td>` +
    `<td>${fmt(r.ours_gpu_ms)}</td><td>${fmt(r.peer_gpu_ms)}</td>`;
  document.getElementById('rows')!.appendChild(tr);
}

export interface BenchState {
  done: boolean;
  error: string | null;
  adapter: string;
  /** The tuning table the run used, as text (formatTuning) and by key. */
  tuningText: string;
  tuning: gpu.Tuning | null;
  results: BenchResult[];
}

declare global {
  interface Window {
    __bench: BenchState;
  }
}

const state: BenchState = { done: false, error: null, adapter: '', tuningText: '', tuning: null, results: [] };
window.__bench = state;

async function runAll(): Promise<void> {
  const status = document.getElementById('status')!;
  status.textContent = 'starting WebGPU…';
  document.getElementById('rows-empty')?.remove();
  const ctx = await createContext();
  state.adapter = ctx.adapter.name;
  document.getElementById('adapter')!.textContent = ctx.adapter.name;
  const tuning = gpu.tuningValues(ctx.tuning);
  state.tuning = tuning;
  state.tuningText = gpu.formatTuning(ctx.tuning);
  document.getElementById('tuning')!.textContent = state.tuningText;
  console.log(
    `bench: ${state.tuningText.split('\n')[0]}${ctx.tuning.overridden.length ? `, overrides ${ctx.tuning.overridden.join(', ')}` : ''}`,
  );
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not start its webgpu backend');
  await tf.ready();
  watchPeer(tf.backend() as unknown as TfWebGpuBackend);
  // heavy rows (GPT-2 small) run only when named
  const cases = allCases.filter((c) => (only.length ? only.some((o) => c.name.startsWith(o)) : c.heavy === undefined));
  if (!cases.length)
    throw new Error(
      `no benchmark rows match ${only.join(',') || '(all)'}; rows: ${allCases.map((c) => c.name).join(', ')}`,
    );
  for (const c of cases) {
    status.textContent = `running ${c.name}…`;
    console.log(`bench: ${c.name} (${c.shape})`);
    const ours = await timeOurs(ctx, c);
    const peer = await timePeer(c);
    const r: BenchResult = {
      name: c.name,
      shape: c.shape,
      ours_ms: ours.ms,
      peer: PEER,
      peer_ms: peer.ms,
      speedup: peer.ms / ours.ms,
      gflops: c.flops / (ours.ms * 1e6),
      gbps: c.bytes / (ours.ms * 1e6),
      ours_gpu_ms: ours.gpuMs,
      peer_gpu_ms: peer.gpuMs,
      runs,
      adapter: ctx.adapter.name,
      tuning,
    };
    state.results.push(r);
    addRow(r);
    console.log(
      `bench: ${c.name} ours ${r.ours_ms.toFixed(3)} ms, tfjs ${r.peer_ms.toFixed(3)} ms, ${r.speedup.toFixed(2)}x`,
    );
  }
  status.textContent = 'done';
}

function start(): void {
  (document.getElementById('start') as HTMLButtonElement).disabled = true;
  runAll()
    .catch((e: Error) => {
      state.error = `${e.name}: ${e.message}`;
      document.getElementById('status')!.textContent = state.error;
    })
    .finally(() => {
      state.done = true;
    });
}

document.getElementById('start')!.addEventListener('click', start);
if (params.get('auto') === '1') start();
else
  document.getElementById('status')!.textContent =
    'press Run (every row compiles its kernels first; a software GPU takes minutes)';
// loaded and wired: the ready state of every page (test/demos.test.ts); a run's end is `__bench.done`
document.body.dataset.ready = '1';
