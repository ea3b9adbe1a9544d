// npm run generate -- DIR --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--beam W]
//                         [--tokens N] [--seed S] [--no-cache]
// Loads a checkpoint folder written by `npm run train -- gpt` (model.safetensors, config.json,
// tokenizer.json) into headless Chromium (demos/gpt/), generates there on WebGPU and prints the
// text. temperature 0 is greedy; --beam W ≥ 1 runs beam search. Exit codes: 0 done, 1 failed,
// 2 bad arguments.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startBrowserEnv, openPage } from './lib/browser';

const USAGE = 'usage: npm run generate -- DIR --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--beam W] [--tokens N] [--seed S] [--no-cache]';

export interface GenerateArgs {
  dir: string;
  prompt: string;
  tokens: number;
  temperature: number;
  topK: number;
  topP: number;
  beam: number;
  seed: number;
  kvCache: boolean;
}

export function parseGenerateArgs(argv: string[]): GenerateArgs | string {
  const a: GenerateArgs = { dir: '', prompt: '', tokens: 200, temperature: 0.8, topK: 0, topP: 1, beam: 0, seed: 1, kvCache: true };
  const nums: Record<string, [keyof GenerateArgs, number, number]> = {
    tokens: ['tokens', 1, 1e6],
    temperature: ['temperature', 0, 100],
    'top-k': ['topK', 0, 1e9],
    'top-p': ['topP', 0, 1],
    beam: ['beam', 0, 64],
    seed: ['seed', 0, 2 ** 32 - 1],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-cache') a.kvCache = false;
    else if (arg === '--prompt') {
      if (argv[i + 1] === undefined) return '--prompt needs a value';
      a.prompt = argv[++i]!;
    } else if (arg.startsWith('--') && arg.slice(2) in nums) {
      const [key, lo, hi] = nums[arg.slice(2)]!;
      const v = Number(argv[++i]);
      if (argv[i] === undefined || !Number.isFinite(v) || v < lo || v > hi) return `${arg} takes a number in [${lo}, ${hi}], got "${argv[i] ?? ''}"`;
      (a as unknown as Record<string, number>)[key] = v;
    } else if (!arg.startsWith('--') && !a.dir) a.dir = arg;
    else return `unexpected argument "${arg}"`;
  }
  if (!a.dir) return 'no checkpoint folder given';
  return a;
}

const parsed = parseGenerateArgs(process.argv.slice(2));
if (typeof parsed === 'string' || process.argv.includes('--help')) {
  const msg = typeof parsed === 'string' ? parsed : '';
  console.error(msg ? `generate: ${msg}\n\n${USAGE}` : USAGE);
  process.exit(msg ? 2 : 0);
}
const args = parsed;
const files: Record<string, string> = {};
for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) {
  const p = path.join(args.dir, f);
  if (!existsSync(p)) {
    console.error(`generate: ${p} does not exist (a folder written by \`npm run train -- gpt\` has it)`);
    process.exit(2);
  }
  files[f] = readFileSync(p).toString('base64');
}

const env = await startBrowserEnv();
let code = 0;
try {
  const { page, log } = await openPage(env.browser, `${env.url}/demos/gpt/?cli=1`, process.env.SHADERGRAD_DEBUG !== undefined);
  await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 120_000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  if (err) throw new Error(`no WebGPU in the headless browser: ${err}`);
  const { dir: _dir, ...req } = args;
  const r = await page.evaluate(([f, q]) => window.__gpt.generate(f, q), [files, req] as const);
  if (log.errors.length) throw new Error(`the page reported errors:\n${log.errors.join('\n')}`);
  console.log(r.text);
  console.error(`${r.tokens} tokens in ${r.seconds.toFixed(2)} s (${(r.tokens / r.seconds).toFixed(1)} tokens/s)`);
} catch (e) {
  console.error(`generate failed: ${(e as Error).message}`);
  code = 1;
} finally {
  await env.close();
}
process.exit(code);
