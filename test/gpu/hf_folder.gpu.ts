// A Hugging Face GPT-2 folder that transformers' save_pretrained wrote in float16, with GPT-2's
// tokenizer files (test/fixtures/hf_gpt2_f16, scripts/compare/hf_gpt2_folder_fixture.py), opened
// by the loader the CLI and the pages use (gpt.openGptFolder: F16 widened, GPT-2 BPE) and run on
// the GPU: our tokenizer's ids and our logits at every position against GPT2Tokenizer's and
// GPT2LMHeadModel's (weights widened to float32 on both sides), within 1e-4.
import { test } from '../harness/gpu';
import { assert, assertClose } from '../harness/assert';
import { gpt, text } from '../../src/index';
import modelUrl from '../fixtures/hf_gpt2_f16/model.safetensors?url';
import configUrl from '../fixtures/hf_gpt2_f16/config.json?url';
import vocabUrl from '../fixtures/hf_gpt2_f16/vocab.json?url';
import mergesUrl from '../fixtures/hf_gpt2_f16/merges.txt?url';
import expectedUrl from '../fixtures/hf_gpt2_f16/expected.json?url';

async function bytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

test('hf folder: a float16 GPT-2 folder from save_pretrained gives transformers’ ids and logits', async ({ ctx }) => {
  const files: Record<string, Uint8Array> = {
    'model.safetensors': await bytes(modelUrl),
    'config.json': await bytes(configUrl),
    'vocab.json': await bytes(vocabUrl),
    'merges.txt': await bytes(mergesUrl),
  };
  const want = JSON.parse(new TextDecoder().decode(await bytes(expectedUrl))) as {
    prompt: string;
    ids: number[];
    logits: number[][];
  };
  const folder = gpt.openGptFolder(files);
  assert(folder.tokenizer instanceof text.Gpt2Tokenizer, 'GPT-2 tokenizer from vocab.json + merges.txt');
  const ids = folder.tokenizer.encode(want.prompt);
  assert(JSON.stringify(ids) === JSON.stringify(want.ids), `ids ${ids.join(',')} vs ${want.ids.join(',')}`);
  const model = await gpt.GptModel.create(ctx, folder.config, { batch: 1, lr: 0, warmup: 0, decaySteps: 1, seed: 1 });
  try {
    model.loadWeights(folder.params);
    // each prefix's next-token logits are the full model's logits at that position (causal)
    for (let t = 1; t <= ids.length; t++) {
      const [got] = await model.nextLogits([ids.slice(0, t)]);
      assertClose(
        got!,
        Float32Array.from(want.logits[t - 1]!),
        { atol: 1e-4, rtol: 1e-4 },
        `logits at position ${t - 1}`,
      );
    }
  } finally {
    model.destroy();
  }
});
