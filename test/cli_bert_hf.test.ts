// `npm run bert -- fill-mask` on Hugging Face BERT folders that transformers' save_pretrained
// wrote (test/fixtures/hf_bert_mlm: float32 + vocab.txt; hf_bert_mlm_bf16: bfloat16 +
// tokenizer.json only; scripts/compare/hf_bert_folder_fixture.py): each loads, and the best token
// at the [MASK] is the argmax of transformers' own MLM logits there, with its softmax probability;
// similarity runs on the encoder; classify is refused in one line (a BertForMaskedLM has no
// classification head).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../scripts/lib/browser';
import { softmaxRow } from '../src/models/bert/data';
import type { FillMaskOutput, SimilarityOutput } from '../src/models/bert/use';
import { script } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';
const dir = (name: string): string => path.join(ROOT, 'test', 'fixtures', name);
const MASK_ID = 6; // [MASK] in the fixture's vocab.txt

for (const name of ['hf_bert_mlm', 'hf_bert_mlm_bf16']) {
  test(`bert fill-mask on ${name} picks transformers’ argmax`, { skip: noGpu && 'SHADERGRAD_NO_GPU=1' }, () => {
    const want = JSON.parse(readFileSync(path.join(dir(name), 'expected.json'), 'utf8')) as {
      prompt: string;
      ids: number[];
      logits: number[][];
    };
    const r = script('bert.ts', ['fill-mask', dir(name), want.prompt, '--top-k', '3', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const [out] = JSON.parse(r.stdout) as FillMaskOutput[];
    const at = want.ids.indexOf(MASK_ID);
    const row = want.logits[at]!;
    const best = row.indexOf(Math.max(...row));
    assert.equal(out!.masks.length, 1);
    assert.equal(out!.masks[0]!.position, at);
    const top = out!.masks[0]!.candidates[0]!;
    assert.equal(top.token, best, `top ${top.token_str}; transformers' argmax is id ${best}`);
    assert.ok(Math.abs(top.score - softmaxRow(row, 0, row.length)[best]!) < 1e-4, `score ${top.score}`);
  });
}

test(
  'bert similarity runs on a BertForMaskedLM folder; classify is refused in one line',
  {
    skip: noGpu && 'SHADERGRAD_NO_GPU=1',
  },
  () => {
    const s = script('bert.ts', [
      'similarity',
      dir('hf_bert_mlm'),
      '--word',
      'cat',
      'the cat sat',
      'a cat ran',
      '--json',
    ]);
    assert.equal(s.status, 0, s.stderr);
    const sim = JSON.parse(s.stdout) as SimilarityOutput;
    assert.equal(sim.cosine.length, 2);
    assert.ok(Math.abs(sim.cosine[0]![0]! - 1) < 1e-5, `self-similarity ${sim.cosine[0]![0]}`);
    const c = script('bert.ts', ['classify', dir('hf_bert_mlm'), 'the cat sat']);
    assert.equal(c.status, 2, c.stderr);
    assert.match(c.stderr.trim(), /no classification head/);
    assert.equal(c.stderr.trim().split('\n').length, 1, c.stderr);
  },
);
