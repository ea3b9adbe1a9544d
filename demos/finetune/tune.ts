// One LoRA fine-tuning run of the page: gpt.trainGpt from the opened folder's base files with a
// fresh adapter, a live loss chart (train every read step, validation at each evaluation), the
// live numbers with tokens/s, and the samples before (step 0: the base model, since B = 0) and
// after, from the same prompt and seed. Every step yields to the event loop so the page (Stop,
// scrolling) keeps responding.
import { gpt, type GpuContext } from '../../src/index';
import { Plot, COLORS, sleep } from '../common/plot';
import { Clock, fmtSeconds, placeholder, publishChart } from '../common/progress';

export interface TuneSettings {
  text: string;
  lora: { r: number; alpha: number; dropout: number; targets: string[] };
  steps: number;
  batch: number;
  /** Tokens per training window (at most the model's context). */
  window: number;
  lr: number;
  seed: number;
  prompt: string;
  sampleTokens: number;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** The loss chart from its first point (an empty one says what will appear). */
export function drawLoss(
  train: readonly [number, number][],
  val: readonly [number, number][],
  steps: number,
  live: Record<string, number> = {},
): void {
  const canvas = $<HTMLCanvasElement>('loss');
  if (!train.length && !val.length) {
    placeholder(canvas, 'The loss on your text appears here from the first step once you press Fine-tune.');
    return;
  }
  const all = [...train, ...val].map(([, l]) => l);
  new Plot(canvas, {
    x: [0, steps],
    y: [Math.max(0, Math.min(...all) * 0.9), Math.max(...all) * 1.05],
    xLabel: 'step',
    yLabel: 'loss (nats/token)',
    title: 'train (blue) and validation (orange) loss on your text',
  })
    .axes()
    .line(
      train.map(([s]) => s),
      train.map(([, l]) => l),
      COLORS.blue,
    )
    .line(
      val.map(([s]) => s),
      val.map(([, l]) => l),
      COLORS.orange,
      { width: 2 },
    );
  publishChart(canvas, train.length + val.length, live);
}

/**
 * Fine-tune `base` (a GPT folder's files) with LoRA as `s` says, drawing as it goes; resolves to
 * the run (its model is the adapted one, ready to generate). `stopping` is polled every step.
 */
export async function fineTune(
  ctx: GpuContext,
  base: Readonly<Record<string, Uint8Array>>,
  config: gpt.GptConfig,
  s: TuneSettings,
  stopping: () => boolean,
): Promise<gpt.GptRunResult> {
  const train: [number, number][] = [];
  const val: [number, number][] = [];
  const clock = new Clock();
  let tps = 0;
  let lastVal = NaN;
  drawLoss(train, val, s.steps);
  const numbers = (step: number, loss: number): string => {
    const v = Number.isFinite(lastVal) ? `, validation ${lastVal.toFixed(3)}` : '';
    return `step ${step}/${s.steps}: loss ${loss.toFixed(3)}${v} nats/token, ${Math.round(tps)} tokens/s; ${clock.text(step, s.steps)}`;
  };
  const run = await gpt.trainGpt(ctx, {
    text: s.text,
    init: base,
    lora: s.lora,
    // with init the model's size and tokenizer are the folder's: these only fill the type
    tokenizer: 'char',
    layers: config.layers,
    heads: config.heads,
    embd: config.embd,
    block: s.window, // with init: the training window (at most the model's context)
    dropout: 0,
    steps: s.steps,
    batch: s.batch,
    lr: s.lr,
    seed: s.seed,
    prompt: s.prompt,
    sampleTokens: s.sampleTokens,
    evalIters: 2,
    shouldStop: stopping,
    onProgress: async (p) => {
      tps = p.tokensPerSec || tps;
      $('status').textContent = `fine-tuning: step ${p.step}/${p.total}, ${clock.text(p.step, p.total)}`;
      if (p.loss !== null) {
        train.push([p.step, p.loss]);
        $('numbers').textContent = numbers(p.step, p.loss);
        drawLoss(train, val, s.steps, { step: p.step, loss: p.loss, tokensPerSec: tps });
      }
      await sleep(0); // let the page handle clicks and paint between steps
    },
    onEval: (e) => {
      val.push([e.step, e.valLoss]);
      lastVal = e.valLoss;
      $('numbers').textContent = numbers(e.step, e.trainLoss);
      drawLoss(train, val, s.steps, { step: e.step, loss: e.trainLoss, valLoss: e.valLoss, tokensPerSec: tps });
    },
  });
  showSamples(run, clock.elapsed);
  return run;
}

/** The samples before and after side by side, and the run's summary. */
function showSamples(run: gpt.GptRunResult, seconds: number): void {
  const m = run.metrics;
  const steps = m['steps_this_run'] as number;
  $('before').textContent = m.sample_before ?? '(no sample before: the run did not start from a base model)';
  $('after').textContent = m.sample;
  $('after-title').textContent = `after ${steps} LoRA steps`;
  const trainable = m['trainable_params'] as number;
  const params = m['params'] as number;
  $('numbers').textContent =
    `${steps} steps in ${fmtSeconds(seconds)}: validation loss ${m.val_loss.toFixed(3)} nats/token ` +
    `(perplexity ${m.val_ppl.toFixed(2)}), ${Math.round(m['tokens_per_sec'] as number)} tokens/s; ` +
    `${trainable.toLocaleString('en')} trainable parameters of ${params.toLocaleString('en')} ` +
    `(${((100 * trainable) / params).toFixed(2)}%)`;
}
