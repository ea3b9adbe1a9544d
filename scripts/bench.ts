// npm run bench [-- --only matmul,softmax] [--runs 15] [--warmup 3] [--tuning K=V,…] [--json PATH]
// Drives demos/bench/ in headless Chromium, prints the tuning table it ran with and the results,
// and optionally writes the JSON array of {name, shape, ours_ms, peer, peer_ms, speedup, gflops,
// gbps, adapter, browser, tuning, ...}. Tuning overrides (src/gpu/tuning.ts) come from --tuning
// or SHADERGRAD_TUNING (the flag wins) and reach the page as its `?tuning=` query.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBrowserEnv, openPage } from './lib/browser';
import type { BenchState, BenchResult } from '../demos/bench/main';

function usage(msg?: string): never {
  if (msg) console.error(`bench: ${msg}`);
  console.error(
    'usage: npm run bench -- [--only PREFIX[,PREFIX]] [--runs N>=10] [--warmup N] [--tuning KEY=VALUE[,KEY=VALUE]] [--json PATH]',
  );
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      tuning: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }).values;
} catch (e) {
  usage((e as Error).message);
}
if (args.help) usage();
for (const k of ['runs', 'warmup'] as const) {
  if (args[k] !== undefined && !/^\d+$/.test(args[k]!)) usage(`--${k} takes a whole number, got "${args[k]}"`);
}

export function formatResults(rows: BenchResult[]): string {
  const head = ['row', 'shape', 'ours ms', 'tfjs ms', 'speedup', 'GFLOP/s', 'GB/s', 'ours GPU ms', 'tfjs GPU ms'];
  const body = rows.map((r) => [
    r.name,
    r.shape,
    r.ours_ms.toFixed(3),
    r.peer_ms.toFixed(3),
    `${r.speedup.toFixed(2)}x`,
    r.gflops.toFixed(2),
    r.gbps.toFixed(2),
    r.ours_gpu_ms === null ? '-' : r.ours_gpu_ms.toFixed(3),
    r.peer_gpu_ms === null ? '-' : r.peer_gpu_ms.toFixed(3),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

const q = new URLSearchParams({ auto: '1' });
if (args.only) q.set('only', args.only);
if (args.runs) q.set('runs', args.runs);
if (args.warmup) q.set('warmup', args.warmup);
const tuning = args.tuning ?? process.env.SHADERGRAD_TUNING;
if (tuning) q.set('tuning', tuning);

const env = await startBrowserEnv();
let failed = false;
try {
  const { page, log } = await openPage(env.browser, `${env.url}/demos/bench/?${q}`);
  page.on('console', (m) => {
    if (m.type() === 'log' && m.text().startsWith('bench:')) console.log(m.text());
  });
  await page.waitForFunction(() => window.__bench?.done === true, null, { timeout: 0, polling: 1000 });
  const state = (await page.evaluate(() => window.__bench)) as BenchState;
  if (state.error) throw new Error(state.error);
  if (log.errors.length) throw new Error(`the benchmark page reported errors:\n${log.errors.join('\n')}`);
  console.log(
    `\nadapter: ${state.adapter}; browser: ${env.browserDescription}; peer: TensorFlow.js 4.22 webgpu; median of ${state.results[0]?.runs ?? '?'} runs\n`,
  );
  console.log(`${state.tuningText}\n`);
  console.log(formatResults(state.results));
  if (args.json) {
    const rows = state.results.map((r) => ({ ...r, browser: env.browserDescription }));
    writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
    console.log(`\nwrote ${args.json}`);
  }
} catch (e) {
  console.error(`bench failed: ${(e as Error).message}`);
  failed = true;
} finally {
  await env.close();
}
process.exit(failed ? 1 : 0);
