// A GPT checkpoint folder — model.safetensors, config.json, tokenizer.json and, for resuming,
// optimizer.safetensors — opened and checked in one place, with no GPU: the CLIs run it in Node
// before the browser starts (scripts/lib/folders.ts), the pages run it before building a model.
// Every refusal is an InputError naming the file and what is wrong with it: a missing file, a
// truncated or garbage safetensors file, a config.json that is not JSON or breaks the config
// rules, tensors whose shapes do not match config.json, a tokenizer that does not fit the model.
import { InputError } from '../../util/errors';
import { loadSafetensors } from '../../io/safetensors';
import { readSafetensorsHeader } from '../../io/safetensors_header';
import { inFile, jsonObjectOf, messageOf, requireFiles } from '../../io/files';
import { configFromGpt2, fromHf, type Params } from './hf';
import { tokenizerFromJSON, type Tokenizer } from '../../text/tokenizer';
import { checkGptConfig, type GptConfig } from './graph';

export interface GptFolder {
  config: GptConfig;
  /** config.json as an object (our run state is under "shadergrad"). */
  json: Record<string, unknown>;
  /** Our parameters (names of graph.ts), shapes checked against config. */
  params: Params;
  tokenizer: Tokenizer;
}

export const GPT_FOLDER_FILES = ['model.safetensors', 'config.json', 'tokenizer.json'] as const;

/** Open and check a GPT folder's files (by file name); throws InputError on the first problem. */
export function openGptFolder(files: Readonly<Record<string, Uint8Array>>): GptFolder {
  requireFiles(files, GPT_FOLDER_FILES, 'npm run train -- gpt');
  const json = jsonObjectOf('config.json', files['config.json']!);
  const config = inFile('config.json', () => {
    const c = configFromGpt2(json);
    checkGptConfig(c);
    return c;
  });
  const hf: Params = {};
  inFile('model.safetensors', () => {
    for (const [n, t] of loadSafetensors(files['model.safetensors']!).tensors) {
      if (!(t.data instanceof Float32Array)) throw new Error(`tensor "${n}" is ${t.dtype}, expected F32`);
      hf[n] = { shape: t.shape, data: t.data };
    }
  });
  const params = inFile('model.safetensors', () => {
    try {
      return fromHf(hf, config);
    } catch (e) {
      throw new Error(
        `does not match config.json (${config.layers} layers, embd ${config.embd}, vocab ${config.vocabSize}, block ${config.block}): ${messageOf(e)}`,
      );
    }
  });
  const tokJson = jsonObjectOf('tokenizer.json', files['tokenizer.json']!);
  const tokenizer = inFile('tokenizer.json', () => tokenizerFromJSON(tokJson));
  if (tokenizer.vocabSize !== config.vocabSize)
    throw new InputError(
      `tokenizer.json has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${config.vocabSize}: the files come from different runs`,
    );
  const opt = files['optimizer.safetensors'];
  if (opt) inFile('optimizer.safetensors', () => readSafetensorsHeader(opt));
  return { config, json, params, tokenizer };
}
