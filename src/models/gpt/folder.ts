// A GPT checkpoint folder — model.safetensors, config.json, tokenizer.json and, for resuming,
// optimizer.safetensors — or a Hugging Face GPT-2 folder (model.safetensors in F32, F16 or BF16,
// config.json, vocab.json + merges.txt: GPT-2's own tokenizer, gpt2_bpe.ts), opened and checked in
// one place, with no GPU: the CLIs run it in Node
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
import { Gpt2Tokenizer } from '../../text/gpt2_bpe';
import { decodeUtf8Text } from '../../util/utf8';
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
/** A Hugging Face GPT-2 folder's files (tokenizer.json is then optional: vocab.json + merges.txt rule). */
export const HF_GPT2_FILES = ['model.safetensors', 'config.json', 'vocab.json', 'merges.txt'] as const;
/** Every file a GPT folder may hold that openGptFolder reads. */
export const GPT_ALL_FILES = [...GPT_FOLDER_FILES, 'vocab.json', 'merges.txt', 'optimizer.safetensors'] as const;

const CONVERT =
  'convert it to model.safetensors first, e.g. in Python: AutoModelForCausalLM.from_pretrained(DIR).save_pretrained(DIR, safe_serialization=True)';

// Buffers that older GPT-2 checkpoints store beside the weights (the causal mask), and the LM head,
// which GPT-2 ties to wte.
const IGNORED = /(^|\.)attn\.(masked_)?bias$|^lm_head\.weight$/;

/** Open and check a GPT folder's files (by file name); throws InputError on the first problem. */
export function openGptFolder(files: Readonly<Record<string, Uint8Array>>): GptFolder {
  const hfTokenizer = !files['tokenizer.json'] && (files['vocab.json'] || files['merges.txt']);
  if (!files['model.safetensors'] && (files['pytorch_model.bin'] || files['model.safetensors.index.json']))
    throw new InputError(
      `model.safetensors: the folder has only ${files['pytorch_model.bin'] ? 'pytorch_model.bin (a pickle, which a page cannot read safely)' : 'a sharded model.safetensors.index.json'}: ${CONVERT}`,
    );
  requireFiles(
    files,
    hfTokenizer ? HF_GPT2_FILES : GPT_FOLDER_FILES,
    hfTokenizer ? 'save_pretrained' : 'npm run train -- gpt',
  );
  const json = jsonObjectOf('config.json', files['config.json']!);
  const config = inFile('config.json', () => {
    const c = configFromGpt2(json);
    checkGptConfig(c);
    return c;
  });
  const params = readGpt2Weights(files['model.safetensors']!, config);
  const tokenizer = hfTokenizer ? gpt2Tokenizer(files) : ourTokenizer(files);
  const tokFile = hfTokenizer ? 'vocab.json' : 'tokenizer.json';
  if (tokenizer.vocabSize !== config.vocabSize)
    throw new InputError(
      `${tokFile} has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${config.vocabSize}: the files come from different runs`,
    );
  const opt = files['optimizer.safetensors'];
  if (opt) inFile('optimizer.safetensors', () => readSafetensorsHeader(opt));
  return { config, json, params, tokenizer };
}

/**
 * Our parameters from a GPT-2 model.safetensors (ours or Hugging Face's: F32, F16 or BF16, with or
 * without the "transformer." prefix), checked against `config`; InputError naming the file.
 */
export function readGpt2Weights(bytes: Uint8Array, config: GptConfig): Params {
  const hf: Params = {};
  inFile('model.safetensors', () => {
    // F16 and BF16 tensors arrive widened to f32 (io/half.ts)
    for (const [n, t] of loadSafetensors(bytes).tensors) {
      if (IGNORED.test(n)) continue;
      if (!(t.data instanceof Float32Array)) throw new Error(`tensor "${n}" is ${t.dtype}, expected F32, F16 or BF16`);
      // GPT2Model checkpoints (the released gpt2 weights) name tensors without "transformer."
      hf[n.startsWith('transformer.') ? n : `transformer.${n}`] = { shape: t.shape, data: t.data };
    }
  });
  return inFile('model.safetensors', () => {
    try {
      return fromHf(hf, config);
    } catch (e) {
      throw new Error(
        `does not match config.json (${config.layers} layers, embd ${config.embd}, vocab ${config.vocabSize}, block ${config.block}): ${messageOf(e)}`,
      );
    }
  });
}

function ourTokenizer(files: Readonly<Record<string, Uint8Array>>): Tokenizer {
  const tokJson = jsonObjectOf('tokenizer.json', files['tokenizer.json']!);
  return inFile('tokenizer.json', () => tokenizerFromJSON(tokJson));
}

function gpt2Tokenizer(files: Readonly<Record<string, Uint8Array>>): Tokenizer {
  const vocab = decodeUtf8Text('vocab.json', files['vocab.json']!);
  return Gpt2Tokenizer.fromFiles(vocab, decodeUtf8Text('merges.txt', files['merges.txt']!));
}
