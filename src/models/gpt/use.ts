// A GPT opened for use (generation, evaluation, more training) from a folder's files: ours, a
// Hugging Face GPT-2 folder, or either one with a PEFT LoRA adapter on top (the adapter's own
// files: adapter_config.json, adapter_model.safetensors). The page, the CLIs and the tests open
// models through this one function.
import type { GpuContext } from '../../gpu/device';
import type { TrainingProgress } from '../../io/checkpoint';
import type { Tokenizer } from '../../text/tokenizer';
import { openGptFolder } from './folder';
import { GPT_LORA_RUN_FILES, readAdapterConfig } from './adapter';
import { GptModel, type GptOptimOptions } from './model';
import { GptInference } from './inference';

export interface OpenedGpt {
  model: GptModel;
  tokenizer: Tokenizer;
  /** The run state saved with the weights (step 0 for a folder that has none). */
  progress: TrainingProgress;
}

/** Optimizer settings of a model opened for inference (no step is taken with them). */
const INFERENCE: GptOptimOptions = { batch: 1, lr: 1e-3, warmup: 0, decaySteps: 1, seed: 1 };

/**
 * Build a GptModel from `files` (every file checked before the GPU is touched) and load its
 * weights; with `adapter`, a LoRA model with the adapter's weights (and its run state, when it
 * has shadergrad.json). Optimizer state is restored when the files carry it.
 */
export async function openGptModel(
  ctx: GpuContext,
  files: Readonly<Record<string, Uint8Array>>,
  adapter?: Readonly<Record<string, Uint8Array>>,
  optim: GptOptimOptions = INFERENCE,
): Promise<OpenedGpt> {
  const folder = openGptFolder(files);
  const lora = adapter ? readAdapterConfig(adapter) : undefined;
  const model = await GptModel.create(ctx, folder.config, optim, lora ? { lora } : {});
  try {
    if (!adapter) return { model, tokenizer: folder.tokenizer, progress: model.load(files) };
    model.loadWeights(folder.params);
    return { model, tokenizer: folder.tokenizer, progress: model.load(adapter) };
  } catch (e) {
    model.destroy();
    throw e;
  }
}

/**
 * A GPT opened for inference only (generation, logits): GptInference.open, so the GPU holds one
 * copy of the weights and the KV cache — no gradients, no optimizer state; with `adapter`, the
 * LoRA model with the adapter's weights.
 */
export async function openGptInference(
  ctx: GpuContext,
  files: Readonly<Record<string, Uint8Array>>,
  adapter?: Readonly<Record<string, Uint8Array>>,
): Promise<{ inference: GptInference; tokenizer: Tokenizer }> {
  const folder = openGptFolder(files);
  const lora = adapter ? readAdapterConfig(adapter) : undefined;
  const inference = await GptInference.open(ctx, folder.config, lora ? { seed: 1, lora } : { seed: 1 });
  try {
    inference.loadWeights(folder.params);
    if (adapter) inference.loadAdapter(adapter);
    return { inference, tokenizer: folder.tokenizer };
  } catch (e) {
    inference.destroy();
    throw e;
  }
}

/**
 * One set of files (a page's picked folder, or the CLI's files with the adapter's under
 * `adapter/`) split into the base model's and the adapter's: an adapter is there when
 * adapter_config.json is (flat or under adapter/); then a flat optimizer.safetensors,
 * shadergrad.json and tokenizer.json go with the adapter unless model.safetensors' folder has them.
 */
export function splitAdapterFiles(files: Readonly<Record<string, Uint8Array>>): {
  base: Record<string, Uint8Array>;
  adapter?: Record<string, Uint8Array>;
} {
  const base: Record<string, Uint8Array> = {};
  const adapter: Record<string, Uint8Array> = {};
  const flatAdapter = files['adapter_config.json'] !== undefined;
  for (const [name, bytes] of Object.entries(files)) {
    if (name.startsWith('adapter/')) adapter[name.slice('adapter/'.length)] = bytes;
    else if (flatAdapter && ADAPTER_ONLY.has(name)) adapter[name] = bytes;
    else base[name] = bytes;
  }
  return Object.keys(adapter).length ? { base, adapter } : { base };
}

const ADAPTER_ONLY = new Set<string>(GPT_LORA_RUN_FILES.filter((f) => f !== 'tokenizer.json'));
