// Tiny, valid checkpoint folders written without a GPU (seeded initial weights), for the tests of
// bad input: each test copies one and breaks one file (truncates, garbles, mismatches).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OpAttrs } from '../../src/ops/attrs';
import { Graph } from '../../src/graph/graph';
import { gptLayers, type GptConfig } from '../../src/models/gpt/graph';
import { gpt2Config, toHf } from '../../src/models/gpt/hf';
import { saveSafetensors, type Dtype } from '../../src/io/safetensors';
import { CharTokenizer } from '../../src/text/char';
import { bertConfig, buildPretrainGraph } from '../../src/models/bert/graph';
import { saveBertCheckpoint } from '../../src/models/bert/hf';
import { WORDPIECE_SPECIALS } from '../../src/text/wordpiece';

/** A graph's parameters as (shape, initial data). */
function paramsOf(g: Graph): Record<string, { shape: number[]; data: Float32Array }> {
  return Object.fromEntries(
    [...g.params].map(([n, v]) => [n, { shape: [...v.shape], data: (v.node.attrs as OpAttrs['param']).init }]),
  );
}

export const GPT_TEXT = 'the cat sat on the mat. a dog ran.\n';

/** The files of a GPT run folder: a 1-layer char model trained on nothing (block 8, embd 8). */
export function gptFolderFiles(): Record<string, Uint8Array> {
  const tok = CharTokenizer.train(GPT_TEXT);
  const c: GptConfig = { vocabSize: tok.vocabSize, block: 8, layers: 1, heads: 2, embd: 8, dropout: 0, bias: true };
  const g = new Graph();
  gptLayers(g, c, 1);
  const hf = toHf(paramsOf(g), c);
  const tensors = Object.fromEntries(
    Object.entries(hf).map(([n, t]) => [n, { dtype: 'F32' as const, shape: t.shape, data: t.data }]),
  );
  const enc = new TextEncoder();
  return {
    'model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
    'config.json': enc.encode(JSON.stringify(gpt2Config(c, { extra: { shadergrad: { model: { ...c } } } }))),
    'tokenizer.json': enc.encode(JSON.stringify(tok.toJSON())),
  };
}

/**
 * A Hugging Face GPT-2 folder as `save_pretrained` and the released checkpoints lay it out: GPT2Config
 * fields only, tensors in `dtype` without the "transformer." prefix (GPT2Model's names) plus the
 * causal-mask buffers older files carry, and GPT-2's tokenizer files (the committed fixture, 514 tokens).
 */
export function hfGpt2FolderFiles(dtype: Dtype = 'F16'): Record<string, Uint8Array> {
  const fixture = new URL('../fixtures/gpt2_tokenizer/', import.meta.url);
  const vocab = readFileSync(new URL('vocab.json', fixture));
  const c: GptConfig = { vocabSize: 514, block: 16, layers: 1, heads: 2, embd: 8, dropout: 0, bias: true };
  const g = new Graph();
  gptLayers(g, c, 3);
  const tensors: Record<string, { dtype: Dtype; shape: readonly number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(toHf(paramsOf(g), c)))
    tensors[n.replace(/^transformer\./, '')] = { dtype, shape: t.shape, data: t.data };
  tensors['h.0.attn.bias'] = { dtype, shape: [1, 1, 16, 16], data: new Float32Array(256).fill(1) };
  const config = gpt2Config(c);
  const enc = new TextEncoder();
  return {
    'model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
    'config.json': enc.encode(JSON.stringify({ ...config, n_inner: null, torch_dtype: 'float16' })),
    'vocab.json': new Uint8Array(vocab),
    'merges.txt': new Uint8Array(readFileSync(new URL('merges.txt', fixture))),
  };
}

/** The files of a BERT pretrained/ folder: 1 layer, hidden 8, 16 positions, a hand-made vocabulary. */
export function bertFolderFiles(): Record<string, Uint8Array> {
  const vocab = [...WORDPIECE_SPECIALS, 'the', 'a', 'cat', 'dog', 'sat', 'ran', 'on', 'mat', '.', '##s'];
  const cfg = bertConfig({ vocabSize: vocab.length, hidden: 8, layers: 1, heads: 2, maxPosition: 16 });
  const m = buildPretrainGraph(cfg, 1, 16);
  return saveBertCheckpoint(paramsOf(m.g), cfg, `${vocab.join('\n')}\n`, {
    architecture: 'BertForPreTraining',
    padTokenId: 0,
  });
}

/** Write `files` into a fresh temporary folder (sub-folder `sub` when given); returns the folder. */
export function writeFolder(files: Readonly<Record<string, Uint8Array>>, sub?: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'shadergrad-folder-'));
  const dir = sub ? path.join(root, sub) : root;
  mkdirSync(dir, { recursive: true });
  for (const [n, b] of Object.entries(files)) writeFileSync(path.join(dir, n), b);
  return root;
}
