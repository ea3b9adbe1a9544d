// npm run generate -- DIR --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--beam W]
//                         [--tokens N] [--seed S] [--no-cache] [--base DIR] [--json]
// Loads a checkpoint folder written by `npm run train -- gpt` (model.safetensors, config.json,
// tokenizer.json), or a Hugging Face GPT-2 folder (vocab.json + merges.txt instead of
// tokenizer.json; F16/BF16 weights widened), or a LoRA adapter folder (a `--lora` run's, or
// PEFT's) on its base model (--base DIR, else the one adapter_config.json names), into headless
// Chromium (demos/gpt/), generates there on WebGPU and prints the text. temperature 0 is greedy; --beam W ≥ 1 runs beam search. The folder's files and the
// prompt are checked here before the browser starts (scripts/lib/folders.ts). Exit codes: 0
// done, 1 failed, 2 bad arguments or bad input (one line: scripts/lib/exit.ts).
import { startBrowserEnv, openPage } from './lib/browser';
import { asBase64, isAdapterFolder, openGptAdapterAt, openGptFolderAt } from './lib/folders';
import { exitOnError, reportError, unwrap } from './lib/exit';
import { InputError, gpt, text } from '../src/index';

const USAGE =
  'usage: npm run generate -- DIR --prompt TEXT [--base DIR] [--temperature T] [--top-k K] [--top-p P] [--beam W] [--tokens N] [--seed S] [--no-cache] [--json]';

export interface GenerateArgs {
  dir: string;
  /** The base model of a LoRA adapter folder (default: adapter_config.json's base_model_name_or_path). */
  base?: string;
  prompt: string;
  tokens: number;
  temperature: number;
  topK: number;
  topP: number;
  beam: number;
  seed: number;
  kvCache: boolean;
  /** Print {text, ids, tokens, seconds} as JSON instead of the text. */
  json: boolean;
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
    json: false,
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
    else if (arg === '--json') a.json = true;
    else if (arg === '--prompt' || arg === '--base') {
      if (argv[i + 1] === undefined) return `${arg} needs a value`;
      if (arg === '--prompt') a.prompt = argv[++i]!;
      else a.base = argv[++i]!;
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
  const lora = isAdapterFolder(args.dir);
  if (!lora && args.base) throw new InputError(`--base ${args.base}: ${args.dir} is a whole model, not a LoRA adapter`);
  const { folder, files, adapter } = lora
    ? openGptAdapterAt(args.dir, args.dir, args.base)
    : { ...openGptFolderAt(args.dir, args.dir), adapter: {} as Record<string, Uint8Array> };
  text.checkEncodable(folder.tokenizer, args.prompt, '--prompt');
  const model = [...gpt.GPT_FOLDER_FILES, 'vocab.json', 'merges.txt'].filter((f) => files[f]);
  const { 'optimizer.safetensors': _opt, ...weights } = adapter; // generation needs no optimizer state
  return { ...asBase64(Object.fromEntries(model.map((f) => [f, files[f]!]))), ...asBase64(weights, 'adapter/') };
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
  const { dir: _dir, base: _base, json: _json, ...req } = args;
  const r = unwrap(await page.evaluate(([f, q]) => window.__gpt.generate(f, q), [files, req] as const));
  if (log.errors.length) throw new Error(`the page reported errors:\n${log.errors.join('\n')}`);
  console.log(args.json ? JSON.stringify(r) : r.text);
  console.error(`${r.tokens} tokens in ${r.seconds.toFixed(2)} s (${(r.tokens / r.seconds).toFixed(1)} tokens/s)`);
} catch (e) {
  code = reportError('generate', e);
} finally {
  await env.close();
}
process.exit(code);
