// `npm run generate` on a Hugging Face GPT-2 folder (test/fixtures/hf_gpt2_f16: float16 weights and
// GPT-2's vocab.json + merges.txt, written by transformers' save_pretrained): it loads, and its
// greedy first token is the argmax of transformers' own logits for the prompt; `--resume` of such
// a folder is refused in one line (it holds no run to continue).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../scripts/lib/browser';
import { Gpt2Tokenizer } from '../src/text/gpt2_bpe';
import { argmax } from '../src/models/gpt/sampling';
import { script, train } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';
const DIR = path.join(ROOT, 'test', 'fixtures', 'hf_gpt2_f16');
const read = (f: string): string => readFileSync(path.join(DIR, f), 'utf8');

test(
  'generate: a float16 Hugging Face GPT-2 folder, greedy, continues as transformers’ logits say',
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1' },
  () => {
    const tok = Gpt2Tokenizer.fromFiles(read('vocab.json'), read('merges.txt'));
    const want = JSON.parse(read('expected.json')) as { ids: number[]; logits: number[][] };
    const prompt = 'The cat is';
    const ids = tok.encode(prompt);
    assert.deepEqual(ids, want.ids.slice(0, ids.length), 'the prompt is a prefix of the fixture’s');
    const r = script('generate.ts', [DIR, '--prompt', prompt, '--tokens', '6', '--temperature', '0']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(prompt), r.stdout);
    // compare text, not re-encoded ids: a token may be part of a UTF-8 character (decoded as U+FFFD)
    const first = tok.decode([argmax(Float32Array.from(want.logits[ids.length - 1]!))]);
    assert.ok(
      r.stdout.startsWith(prompt + first),
      `${JSON.stringify(r.stdout)} should start with ${JSON.stringify(prompt + first)}`,
    );
    assert.match(r.stderr, /6 tokens in .* tokens\/s/);
  },
);

test('train --resume refuses a Hugging Face folder in one line', () => {
  const r = train(['gpt', '--resume', DIR, '--steps', '1']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr.trim(),
    /^train: --resume .*hf_gpt2_f16: a Hugging Face folder \(vocab\.json \+ merges\.txt\) holds no run to resume/,
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
