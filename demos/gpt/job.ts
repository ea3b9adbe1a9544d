// The `gpt` training job of the train runner page (demos/train/jobs.ts) and so of
// `npm run train -- gpt`: the built-in stories corpus (src/text/stories.ts) or --corpus FILE,
// char or BPE tokens, the model and optimizer of src/models/gpt/; returns the metrics and the
// checkpoint files (Hugging Face GPT-2 model.safetensors + config.json, tokenizer.json,
// optimizer.safetensors). `--resume DIR` arrives as base64 files named `resume/<file>`, `--init DIR`
// (fine-tuning a trained model, with --lora R its LoRA adapters only) as `init/<file>`.
import { gpt, nn, type GpuContext } from '../../src/index';
import { fromBase64 } from '../common/base64';
import { lmCorpus, lmHooks, lmMetrics, type LmJobProgress } from '../common/lm_job';

const G = gpt.GPT_TRAIN_DEFAULTS;

type FlagValue = string | number | boolean;

export interface GptJobInput {
  seed: number;
  steps: number;
  options: Record<string, FlagValue>;
  files: Record<string, string>;
}

export type GptJobProgress = LmJobProgress;

/** `--resume DIR`'s files, which the CLI sends as base64 under `resume/<file>` (undefined when none). */
export function resumeFiles(
  files: Readonly<Record<string, string>>,
  prefix = 'resume/',
): Record<string, Uint8Array> | undefined {
  const names = Object.keys(files).filter((k) => k.startsWith(prefix));
  return names.length
    ? Object.fromEntries(names.map((k) => [k.slice(prefix.length), fromBase64(files[k]!)]))
    : undefined;
}

/** --lora R (0: off), --lora-alpha, --lora-dropout and --lora-targets as a LoraConfig. */
function loraOf(opt: Record<string, FlagValue>): nn.LoraConfig | undefined {
  const r = typeof opt['lora'] === 'number' ? opt['lora'] : G.lora.r;
  if (!r) return undefined;
  const targets = typeof opt['lora-targets'] === 'string' ? opt['lora-targets'] : G.lora.targets;
  return {
    r,
    alpha: typeof opt['lora-alpha'] === 'number' ? opt['lora-alpha'] : G.lora.alpha,
    dropout: typeof opt['lora-dropout'] === 'number' ? opt['lora-dropout'] : G.lora.dropout,
    targets: targets.split(',').map((t) => t.trim()),
  };
}

export async function gptJob(
  ctx: GpuContext,
  job: GptJobInput,
  progress: (p: GptJobProgress) => void,
  onCheckpoint?: (c: { step: number; files: Record<string, Uint8Array> }) => Promise<void>,
) {
  const opt = job.options;
  const num = (k: string, d: number): number => (typeof opt[k] === 'number' ? (opt[k] as number) : d);
  const { text: corpus, stories } = lmCorpus(job.files);
  const resume = resumeFiles(job.files);
  const run = await gpt.trainGpt(ctx, {
    text: corpus,
    tokenizer: opt['tokenizer'] === 'bpe' ? 'bpe' : 'char',
    vocab: num('vocab', G.vocab),
    layers: num('layers', G.layers),
    heads: num('heads', G.heads),
    embd: num('embd', G.embd),
    block: num('block', G.block),
    batch: num('batch', G.batch),
    steps: job.steps,
    lr: num('lr', G.lr),
    checkpointEvery: num('checkpoint-every', G.checkpointEvery),
    ...(onCheckpoint ? { onCheckpoint } : {}),
    dropout: num('dropout', G.dropout),
    seed: job.seed,
    prompt: typeof opt['prompt'] === 'string' ? (opt['prompt'] as string) : undefined,
    sampleTokens: G.sampleTokens,
    resume,
    init: resumeFiles(job.files, 'init/'),
    lora: loraOf(opt),
    baseModel: typeof opt['init'] === 'string' ? opt['init'] : undefined,
    ...lmHooks(progress),
  });
  try {
    const checkpoint = await gpt.saveRun(run);
    if (opt['merge'] === true && run.model.lora)
      for (const [n, b] of Object.entries(await gpt.saveMerged(run))) checkpoint[`merged/${n}`] = b;
    return {
      metrics: lmMetrics('gpt', run, stories),
      checkpoint,
    };
  } finally {
    run.model.destroy();
  }
}
