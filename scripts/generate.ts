// npm run generate -- DIR --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--beam W]
//                         [--tokens N] [--seed S] [--no-cache]
// Loads a checkpoint folder written by `npm run train -- gpt` (model.safetensors, config.json,
// tokenizer.json), or a Hugging Face GPT-2 folder (vocab.json + merges.txt instead of
// tokenizer.json; F16/BF16 weights widened), into headless Chromium (demos/gpt/), generates there on WebGPU and prints the
// text. temperature 0 is greedy; --beam W ≥ 1 runs beam search. The folder's files and the
// prompt are checked here before the browser starts (scripts/lib/folders.ts). Exit codes: 0
// done, 1 failed, 2 bad arguments or bad input (one line: scripts/lib/exit.ts).
import { startBrowserEnv, openPage } from './lib/browser';
import { asBase64, openGptFolderAt } from './lib/folders';
import { exitOnError, reportError, unwrap } from './lib/exit';
import { gpt, text } from '../src/index';

const USAGE =
  'usage: npm run generate -- DIR --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--beam W] [--tokens N] [--seed S] [--no-cache]';

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
  const a: GenerateArgs = {
    dir: '',
    prompt: '',
    tokens: 200,
    temperature: 0.8,
    topK: 0,
    topP: 1,
    beam: 0,
    seed: 1,
    kvCache: true,
  };
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
      if (argv[i] === undefined || !Number.isFinite(v) || v < lo || v > hi)
        return `${arg} takes a number in [${lo}, ${hi}], got "${argv[i] ?? ''}"`;
      (a as unknown as Record<string, number>)[key] = v;
    } else if (!arg.startsWith('--') && !a.dir) a.dir = arg;
    else return `unexpected argument "${arg}"`;
  }
  if (!a.dir) return 'no checkpoint folder given';
  return a;
}

const parsed = parseGenerateArgs(process.argv.slice(2));
if (process.argv.includes('--help')) {
  console.error(USAGE);
  process.exit(0);
}
if (typeof parsed === 'string') {
  console.error(`generate: ${parsed}\n\n${USAGE}`);
  process.exit(2);
}
const args = parsed;
/** The folder's model files (base64), after checking them and the prompt against its tokenizer. */
function checkedFiles(): Record<string, string> {
  const { folder, files } = openGptFolderAt(args.dir, args.dir);
  text.checkEncodable(folder.tokenizer, args.prompt, '--prompt');
  const model = [...gpt.GPT_FOLDER_FILES, 'vocab.json', 'merges.txt'].filter((f) => files[f]);
  return asBase64(Object.fromEntries(model.map((f) => [f, files[f]!])));
}
let files: Record<string, string> = {};
try {
  files = checkedFiles();
} catch (e) {
  exitOnError('generate', e);
}

const env = await startBrowserEnv().catch((e: unknown) => exitOnError('generate', e));
let code = 0;
try {
  const { page, log } = await openPage(
    env.browser,
    `${env.url}/demos/gpt/?cli=1`,
    process.env.SHADERGRAD_DEBUG !== undefined,
  );
  await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 120_000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  if (err) throw new Error(`no WebGPU in the headless browser: ${err}`);
  const { dir: _dir, ...req } = args;
  const r = unwrap(await page.evaluate(([f, q]) => window.__gpt.generate(f, q), [files, req] as const));
  if (log.errors.length) throw new Error(`the page reported errors:\n${log.errors.join('\n')}`);
  console.log(r.text);
  console.error(`${r.tokens} tokens in ${r.seconds.toFixed(2)} s (${(r.tokens / r.seconds).toFixed(1)} tokens/s)`);
} catch (e) {
  code = reportError('generate', e);
} finally {
  await env.close();
}
process.exit(code);
