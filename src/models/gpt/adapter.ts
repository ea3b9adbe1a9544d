// A GPT's LoRA adapter as PEFT's files (src/nn/lora_peft.ts has the format): what
// `PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(base), dir)` loads, and what
// GptModel.loadAdapter reads back (ours or one PEFT trained on the same base).
//   adapter_config.json        task_type CAUSAL_LM, fan_in_fan_out true (GPT-2's Conv1D)
//   adapter_model.safetensors  base_model.model.transformer.h.<i>.attn.c_attn.lora_A.weight …
import { checkLoraConfig, type LoraConfig, type LoraShape } from '../../nn/lora';
import { loraConfigOfPeft, loraFromPeft, loraToPeft, peftAdapterConfig } from '../../nn/lora_peft';
import { loadSafetensors, saveSafetensors } from '../../io/safetensors';
import { inFile, jsonObjectOf } from '../../io/files';
import type { Params } from './hf';

export const GPT_ADAPTER_FILES = ['adapter_config.json', 'adapter_model.safetensors'] as const;
/** A LoRA run's folder: the adapter, our optimizer state and run state, the tokenizer. */
export const GPT_LORA_RUN_FILES = [
  ...GPT_ADAPTER_FILES,
  'optimizer.safetensors',
  'shadergrad.json',
  'tokenizer.json',
] as const;

/** adapter_config.json and adapter_model.safetensors of the adapters `shapes` with values `params` (our names). */
export function gptAdapterFiles(
  c: LoraConfig,
  shapes: readonly LoraShape[],
  params: Readonly<Params>,
  baseModel?: string,
): Record<string, Uint8Array> {
  const tensors: Record<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(loraToPeft(shapes, params, c.r)))
    tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
  const config = peftAdapterConfig(c, { taskType: 'CAUSAL_LM', fanInFanOut: true, baseModel });
  return {
    'adapter_config.json': new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
    'adapter_model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
  };
}

/** The LoraConfig of an adapter folder (adapter_config.json), checked. */
export function readAdapterConfig(files: Readonly<Record<string, Uint8Array>>): LoraConfig {
  const bytes = files['adapter_config.json'];
  if (!bytes) throw new Error('gpt adapter: missing adapter_config.json');
  const json = jsonObjectOf('adapter_config.json', bytes);
  return inFile('adapter_config.json', () => {
    const c = loraConfigOfPeft(json);
    checkLoraConfig(c);
    return c;
  });
}

/** Our adapter parameters from adapter_model.safetensors (F32, F16 or BF16), checked against `shapes`. */
export function readGptAdapter(
  files: Readonly<Record<string, Uint8Array>>,
  shapes: readonly LoraShape[],
  r: number,
): Params {
  const bytes = files['adapter_model.safetensors'];
  if (!bytes) throw new Error('gpt adapter: missing adapter_model.safetensors');
  const peft: Params = {};
  for (const [n, t] of inFile('adapter_model.safetensors', () => loadSafetensors(bytes).tensors)) {
    if (!(t.data instanceof Float32Array))
      throw new Error(`adapter_model.safetensors: tensor "${n}" is ${t.dtype}, expected F32, F16 or BF16`);
    peft[n] = { shape: t.shape, data: t.data };
  }
  return loraFromPeft(shapes, peft, r);
}
