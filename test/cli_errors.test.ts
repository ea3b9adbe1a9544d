// The CLIs on bad input, end to end: a bad argument to train exits 2 with the usage text; bad
// input to train, generate and bert (files, folders, flags that break a rule, prompts, texts)
// exits 2 with one line before the browser starts, and nothing is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bertFolderFiles, gptFolderFiles, writeFolder } from './harness/folders';
import { script, train } from './harness/scripts';

test('a bad argument exits 2 with the usage text and writes nothing', () => {
  const out = path.join(tmpdir(), `shadergrad-never-${process.pid}`);
  for (const args of [['mlp', '--steps', 'many'], ['xgboost'], ['mlp', '--frobnicate']]) {
    const r = train([...args, '--out', out], 30_000);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /^train: /);
    assert.match(r.stderr, /usage: npm run train -- <perceptron\|mlp/);
  }
  assert.ok(!existsSync(out), 'no output folder');
});

// ---- bad input: refused before the browser starts, one line, exit 2 -------------------------------
test('bad input to train, generate and bert: one line naming it, exit 2, no stack, nothing written', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'shadergrad-bad-'));
  const gpt = writeFolder(gptFolderFiles());
  const broken = writeFolder({
    ...gptFolderFiles(),
    'model.safetensors': gptFolderFiles()['model.safetensors']!.slice(0, 300),
  });
  const bert = writeFolder(bertFolderFiles(), 'pretrained');
  try {
    const put = (name: string, content: string | Uint8Array): string => (
      writeFileSync(path.join(tmp, name), content),
      path.join(tmp, name)
    );
    const binary = put(
      'random.bin',
      Uint8Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24),
    );
    const short = put('short.txt', 'hello world\n');
    const labels = put('labels.tsv', '1\tgood\n0\tbad\nyes\tfine\n');
    const out = path.join(tmp, 'never');
    const cases: [string, string[], RegExp][] = [
      [
        'train.ts',
        ['gpt', '--embd', '66', '--heads', '4', '--out', out],
        /^train: gpt: embd 66 is not divisible by heads 4$/,
      ],
      [
        'train.ts',
        ['gpt', '--corpus', binary, '--out', out],
        /^train: --corpus .*random\.bin: a binary file, not text \(a NUL byte at offset \d+\)$/,
      ],
      [
        'train.ts',
        ['gpt', '--corpus', short, '--out', out],
        /^train: --corpus .*short\.txt: gpt: the text is 12 characters; .* give a text of at least \d+ characters or a smaller --block$/,
      ],
      ['train.ts', ['gpt', '--out', labels], /^train: --out .*labels\.tsv: a file is there, not a folder$/],
      [
        'train.ts',
        ['bert', '--labels', labels, '--out', out],
        /^train: --labels .*labels\.tsv:3: label "yes" is not 0 or 1$/,
      ],
      ['generate.ts', [broken, '--prompt', 'the'], /^generate: .*: model\.safetensors: safetensors: /],
      [
        'generate.ts',
        [gpt, '--prompt', 'The cat!'],
        /^generate: --prompt has 2 characters the tokenizer's vocabulary lacks .*"T" \(U\+0054\) at 0, "!" \(U\+0021\) at 7$/,
      ],
      ['bert.ts', ['fill-mask', bert, 'no mask here'], /^bert fill-mask: "no mask here" has no \[MASK\]/],
      [
        'bert.ts',
        ['classify', path.join(bert, 'pretrained'), 'a good film'],
        /^bert classify: the checkpoint has no classification head/,
      ],
    ];
    for (const [name, args, re] of cases) {
      const r = script(name, args, 60_000);
      const what = `${name} ${args.join(' ')}`;
      assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr.trim(), re, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line\n${r.stderr}`);
      assert.ok(!r.stderr.includes('    at '), `${what}: no stack trace`);
    }
    assert.ok(!existsSync(out), 'no output folder');
  } finally {
    for (const d of [tmp, gpt, broken, bert]) rmSync(d, { recursive: true, force: true });
  }
});
