// Hugging Face BERT folders that transformers' save_pretrained wrote (a BertForMaskedLM with
// hidden_act "gelu", the exact GELU): test/fixtures/hf_bert_mlm in float32 with vocab.txt and
// hf_bert_mlm_bf16 in bfloat16 with only tokenizer.json (scripts/compare/hf_bert_folder_fixture.py),
// opened by the loader the CLI and the page use (bert.openBertFolder) and run on the GPU: our
// WordPiece ids equal BertTokenizer's, our MLM logits at every position are BertForMaskedLM's
// (weights widened to float32 on both sides) within 1e-4, and fill-mask's best token and
// probability are the argmax and softmax of transformers' logits at the [MASK].
import { test } from '../harness/gpu';
import { assert, assertClose } from '../harness/assert';
import { bert } from '../../src/index';
import f32Model from '../fixtures/hf_bert_mlm/model.safetensors?url';
import f32Config from '../fixtures/hf_bert_mlm/config.json?url';
import f32Vocab from '../fixtures/hf_bert_mlm/vocab.txt?url';
import f32TokConfig from '../fixtures/hf_bert_mlm/tokenizer_config.json?url';
import f32Expected from '../fixtures/hf_bert_mlm/expected.json?url';
import bf16Model from '../fixtures/hf_bert_mlm_bf16/model.safetensors?url';
import bf16Config from '../fixtures/hf_bert_mlm_bf16/config.json?url';
import bf16TokJson from '../fixtures/hf_bert_mlm_bf16/tokenizer.json?url';
import bf16TokConfig from '../fixtures/hf_bert_mlm_bf16/tokenizer_config.json?url';
import bf16Expected from '../fixtures/hf_bert_mlm_bf16/expected.json?url';
import type { GpuContext } from '../../src/gpu/device';

async function bytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

interface Expected {
  prompt: string;
  ids: number[];
  logits: number[][];
}

const FOLDERS: { name: string; urls: Record<string, string>; expected: string }[] = [
  {
    name: 'float32, vocab.txt',
    urls: {
      'model.safetensors': f32Model,
      'config.json': f32Config,
      'vocab.txt': f32Vocab,
      'tokenizer_config.json': f32TokConfig,
    },
    expected: f32Expected,
  },
  {
    name: 'bfloat16, tokenizer.json only',
    urls: {
      'model.safetensors': bf16Model,
      'config.json': bf16Config,
      'tokenizer.json': bf16TokJson,
      'tokenizer_config.json': bf16TokConfig,
    },
    expected: bf16Expected,
  },
];

/** Our MLM logits (n, V) for [CLS] prompt [SEP] (n tokens), on the inference graph fill-mask runs. */
async function ourLogits(
  ctx: GpuContext,
  f: bert.BertFolder,
  prompt: string,
): Promise<{ ids: number[]; logits: Float32Array }> {
  const T = f.cfg.maxPosition;
  const inf = await bert.BertInference.create(ctx, f.cfg, T, f.tok, f.params);
  try {
    const s = bert.specialsOf(f.tok);
    const { ids, segments } = bert.packPair(f.tok.encode(prompt), null, T, s);
    for (const [k, v] of Object.entries(bert.padBatch([{ ids, segments }], T, s))) inf.ex.write(k, v);
    const [out] = (await inf.ex.step({ read: [inf.m.mlmLogits] })) as Float32Array[];
    return { ids, logits: out!.slice(0, ids.length * f.cfg.vocabSize) };
  } finally {
    inf.destroy();
  }
}

for (const fx of FOLDERS) {
  test(`hf bert folder (${fx.name}) from save_pretrained gives BertTokenizer's ids and BertForMaskedLM's logits`, async ({
    ctx,
  }) => {
    const files: Record<string, Uint8Array> = {};
    for (const [name, url] of Object.entries(fx.urls)) files[name] = await bytes(url);
    const want = JSON.parse(new TextDecoder().decode(await bytes(fx.expected))) as Expected;
    const f = bert.openBertFolder(files);
    assert(f.cfg.activation === 'gelu_erf', `hidden_act "gelu" opens as the exact GELU, got ${f.cfg.activation}`);
    const { ids, logits } = await ourLogits(ctx, f, want.prompt);
    assert(JSON.stringify(ids) === JSON.stringify(want.ids), `ids ${ids.join(',')} vs ${want.ids.join(',')}`);
    const r = assertClose(logits, Float32Array.from(want.logits.flat()), { atol: 1e-4, rtol: 1e-4 }, 'MLM logits');
    console.log(`hf bert folder (${fx.name}): max abs logit error ${r.maxAbs.toExponential(2)} over ${logits.length}`);
    // fill-mask as the CLI runs it: the best token is transformers' argmax, its probability the softmax
    const [res] = await bert.fillMaskFromFolder(ctx, f, [want.prompt], 3);
    const at = want.ids.indexOf(f.tok.maskId);
    const row = want.logits[at]!;
    const best = row.indexOf(Math.max(...row));
    const p = bert.softmaxRow(row, 0, row.length);
    const top = res!.masks[0]!.candidates[0]!;
    assert(res!.masks[0]!.position === at, `[MASK] at ${res!.masks[0]!.position}, want ${at}`);
    assert(
      top.token === best,
      `top token ${top.token_str} (${top.token}), transformers' argmax ${f.tok.idToToken(best)}`,
    );
    assertClose([top.score], [p[best]!], { atol: 1e-5, rtol: 1e-4 }, 'top probability');
  });
}
