// npm run train -- <perceptron|mlp> [--seed S] [--steps N] [--out DIR] [model flags]
// Trains headlessly: starts Vite and Chromium (scripts/lib/browser.ts), opens demos/train/,
// runs the model's job there on WebGPU with a progress bar here, then writes DIR/metrics.json
// and the checkpoint (model.safetensors, optimizer.safetensors, config.json). Every input that
// can be checked without a GPU is checked before the browser starts (scripts/lib/validate.ts).
// Exit codes: 0 done, 1 training failed, 2 bad arguments (with the usage text) or bad input
// (one line; the page's own InputErrors too): scripts/lib/exit.ts.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBrowserEnv, openPage } from './lib/browser';
import { baselineLine, parseTrainArgs, progressLine } from './lib/cli';
import { prepareTrainJob } from './lib/validate';
import { exitOnError, reportError, unwrap } from './lib/exit';
import type { Progress, TrainJob } from '../demos/train/jobs';
import { graph } from '../src/index';
import type { TrainResult } from '../demos/train/main';

const parsed = parseTrainArgs(process.argv.slice(2), { exists: existsSync });
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'error') {
  console.error(`train: ${parsed.message}\n\n${parsed.usage}`);
  process.exit(2);
}
const args = parsed.args;
// file flags' texts by flag name; --resume DIR's files as base64 under resume/<file> (for bert,
// DIR may be the run folder: its pretrained/ is read)
const files = await prepareTrainJob(args).catch((e: unknown) => exitOnError('train', e));
const job: TrainJob = { model: args.model, seed: args.seed, steps: args.steps, options: args.options, files };

const tty = process.stderr.isTTY;
let lastDecile = -1;
function showProgress(p: Progress): void {
  const line = progressLine(p.step, p.total, p.info);
  if (tty) process.stderr.write(`\r${line}\x1b[K`);
  else {
    // without a terminal, one line per 10%
    const d = Math.floor((10 * p.step) / Math.max(1, p.total));
    if (d !== lastDecile) console.error(line);
    lastDecile = d;
  }
}

/** Write checkpoint files (base64) into --out, each through a temporary name: never half a file. */
function writeFiles(files: Record<string, string>): void {
  for (const [name, b64] of Object.entries(files)) {
    const dest = path.join(args.out, name);
    mkdirSync(path.dirname(dest), { recursive: true }); // a job may write sub-folders (bert: pretrained/, classifier/)
    writeFileSync(`${dest}.partial`, Buffer.from(b64, 'base64'));
    renameSync(`${dest}.partial`, dest);
  }
}
// checkpoints taken during the run (--checkpoint-every): the last one survives a later failure
const saved: number[] = [];

const t0 = performance.now();
console.error(
  `train ${args.model}: seed ${args.seed}, up to ${args.steps} steps, ${JSON.stringify(args.options)} → ${args.out}`,
);
const env = await startBrowserEnv().catch((e: unknown) => exitOnError('train', e)); // e.g. no browser: one line, exit 1
let code = 0;
try {
  const { page, log } = await openPage(
    env.browser,
    `${env.url}/demos/train/?cli=1`,
    process.env.SHADERGRAD_DEBUG !== undefined,
  );
  await page.exposeFunction('__trainProgress', (p: Progress) => showProgress(p));
  await page.exposeFunction('__trainCheckpoint', (c: { step: number; files: Record<string, string> }) => {
    writeFiles(c.files);
    saved.push(c.step);
  });
  await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 120_000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  if (err) throw new Error(`no WebGPU in the headless browser: ${err}`);
  const models = await page.evaluate(() => window.__train.models());
  if (!models.includes(args.model))
    throw new Error(`the train page has no job for "${args.model}" (it has ${models.join(', ')})`);
  const result: TrainResult = unwrap(await page.evaluate((j) => window.__train.run(j), job));
  if (tty) process.stderr.write('\n');
  if (log.errors.length) throw new Error(`the train page reported errors:\n${log.errors.join('\n')}`);
  mkdirSync(args.out, { recursive: true });
  writeFiles(result.files);
  const metrics = {
    ...result.metrics,
    browser: env.browserDescription,
    wallSeconds: (performance.now() - t0) / 1000,
    checkpoint: Object.keys(result.files),
    checkpoints_during_run: saved,
  };
  writeFileSync(path.join(args.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  const m = result.metrics as { steps: number; loss: number; accuracy: number; seconds: number; adapter: string };
  console.log(
    `${args.model}: ${m.steps} steps, loss ${m.loss.toPrecision(4)}, accuracy ${(100 * m.accuracy).toFixed(1)}%, ${m.seconds.toFixed(1)} s on ${m.adapter}`,
  );
  const baselines = baselineLine(result.metrics);
  if (baselines) console.log(baselines);
  const mem = result.metrics['memory'];
  if (mem && typeof mem === 'object')
    console.log(`GPU memory of a step: ${graph.formatMemory(mem as graph.MemoryReport)}`);
  // a fine-tuning run (--init) shows the base model's sample from the same prompt first
  if (typeof result.metrics['sample_before'] === 'string')
    console.log(`sample before training:\n${result.metrics['sample_before']}`);
  if (typeof result.metrics.sample === 'string') console.log(`sample:\n${result.metrics.sample}`);
  console.log(`wrote ${path.join(args.out, 'metrics.json')} and ${Object.keys(result.files).join(', ')}`);
} catch (e) {
  if (tty) process.stderr.write('\n');
  code = reportError('train', e);
  const last = saved.at(-1);
  if (last !== undefined)
    console.error(
      `train: the checkpoint of step ${last} is in ${args.out}; continue it with: npm run train -- ${args.model} --resume ${args.out} --out ${args.out} (and the same flags)`,
    );
} finally {
  await env.close();
}
process.exit(code);
