// The train CLI's checks before the browser starts (scripts/lib/validate.ts) on real temporary
// files, and how the CLIs end on an error (scripts/lib/exit.ts): one line, exit 2 for bad input
// (in Node or in the page), 1 for a failed run, Playwright's prefixes and stacks dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/util/errors';
import { parseTrainArgs, type Parsed, type TrainArgs } from '../../scripts/lib/cli';
import { checkOutDir, prepareTrainJob } from '../../scripts/lib/validate';
import { PageError, errorLine, exitCodeOf, oneLine, unwrap } from '../../scripts/lib/exit';
import { bertFolderFiles, gptFolderFiles, writeFolder } from '../harness/folders';

const root = mkdtempSync(path.join(tmpdir(), 'shadergrad-validate-'));
const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(root, name);
  writeFileSync(p, content);
  return p;
};
const stories = 'Once upon a time a cat sat on a mat. The dog ran to the park.\n'.repeat(40);
const files = {
  stories: file('stories.txt', stories),
  short: file('short.txt', 'hello world\n'),
  empty: file('empty.txt', ''),
  binary: file(
    'random.bin',
    Uint8Array.from({ length: 2000 }, (_, i) => (i * 2654435761) >>> 24),
  ),
  latin1: file('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x0a)),
  labels: file('labels.tsv', '1\tgood film\n0\tbad film\nmaybe\tso-so\n'),
  questions: file('q.txt', ': x\nman woman king queen\nman woman king\n'),
  fewWords: file('few.txt', 'one two three\n'),
  oneDoc: file('onedoc.txt', 'just one document.\nwith two lines.\n'),
};
mkdirSync(path.join(root, 'adir'));
const full = path.join(root, 'full');
mkdirSync(full);
writeFileSync(path.join(full, 'x'), 'x');
const fresh = (): string => path.join(root, `out-${Math.random().toString(36).slice(2)}`);

function args(argv: string[]): TrainArgs {
  const p = parseTrainArgs([...argv, ...(argv.includes('--out') ? [] : ['--out', fresh()])], { exists: existsSync });
  assert.equal(p.kind, 'run', p.kind === 'error' ? p.message : '');
  return (p as Extract<Parsed, { kind: 'run' }>).args;
}

/** prepareTrainJob rejects with an InputError, one line, matching `re`. */
async function refused(argv: string[], re: RegExp): Promise<void> {
  await assert.rejects(prepareTrainJob(args(argv)), (e: unknown) => {
    assert.ok(
      e instanceof InputError,
      `${argv.join(' ')}: expected an InputError, got ${e instanceof Error ? e.stack : String(e)}`,
    );
    assert.match(e.message, re, argv.join(' '));
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('the output folder: a file, a non-empty folder (unless --resume) or an unmakeable path is refused before training', () => {
  checkOutDir(fresh(), false);
  checkOutDir(path.join(root, 'adir'), false); // empty: fine
  checkOutDir(full, true); // resuming into a used folder: fine
  assert.throws(() => checkOutDir(files.stories, false), /--out .*stories\.txt: a file is there, not a folder/);
  assert.throws(() => checkOutDir(full, false), /--out .*full: the folder exists and is not empty/);
  assert.throws(
    () => checkOutDir(path.join(files.stories, 'sub'), false),
    /stories\.txt is a file, so the folder cannot be made/,
  );
});

test('--force lets a run write into a folder that is not empty (and only that)', async () => {
  await refused(
    ['mlp', '--out', full],
    /^--out .*full: the folder exists and is not empty \(give a new folder, or --force/,
  );
  const a = args(['mlp', '--out', full, '--force']);
  assert.equal(a.force, true);
  assert.deepEqual(await prepareTrainJob(a), {});
  assert.equal(args(['mlp']).force, false);
  await refused(['mlp', '--out', files.stories, '--force'], /a file is there, not a folder/); // still never over a file
});

test('corpus files: missing, a folder, empty, binary, not UTF-8, too short for --block', async () => {
  await refused(['gpt', '--corpus', path.join(root, 'adir')], /^--corpus .*adir: a folder, not a file$/);
  await refused(['gpt', '--corpus', files.empty], /^--corpus .*empty\.txt: the file is empty$/);
  await refused(
    ['gpt', '--corpus', files.binary],
    /^--corpus .*random\.bin: a binary file, not text \(a NUL byte at offset \d+\)$/,
  );
  await refused(['gpt', '--corpus', files.latin1], /^--corpus .*latin1\.txt: not UTF-8 text: byte 0xe9 at offset 3/);
  await refused(
    ['gpt', '--corpus', files.short],
    /^--corpus .*short\.txt: gpt: the text is 12 characters; .*--block 64/,
  );
  await refused(['gpt', '--corpus', files.short, '--tokenizer', 'bpe'], /the text is 12 bytes/);
  const ok = await prepareTrainJob(args(['gpt', '--corpus', files.stories, '--block', '16']));
  assert.equal(ok.corpus, stories, 'the text goes to the page');
});

test('GPT flags that break a rule together, and a prompt the corpus has no characters for', async () => {
  await refused(['gpt', '--embd', '66', '--heads', '4'], /^gpt: embd 66 is not divisible by heads 4$/);
  await refused(['gpt', '--embd', '24', '--heads', '4'], /head size .* must be a multiple of 4/);
  await refused(
    ['gpt', '--corpus', files.stories, '--block', '16', '--prompt', 'Zebra!'],
    /^--prompt has 3 characters .*"Z" \(U\+005A\) at 0, "b" \(U\+0062\) at 2, "!" \(U\+0021\) at 5$/,
  );
});

test('--resume: a missing or broken folder is refused; a good one travels as base64', async () => {
  const dir = writeFolder(gptFolderFiles());
  try {
    await refused(['gpt', '--resume', path.join(root, 'nowhere')], /^--resume .*nowhere: no such folder$/);
    await refused(
      ['gpt', '--resume', path.join(root, 'adir')],
      /^--resume .*adir: no model\.safetensors, config\.json, tokenizer\.json/,
    );
    const job = await prepareTrainJob(args(['gpt', '--resume', dir]));
    assert.deepEqual(Object.keys(job).sort(), [
      'resume/config.json',
      'resume/model.safetensors',
      'resume/tokenizer.json',
    ]);
    await refused(
      ['gpt', '--resume', dir, '--corpus', files.stories],
      /^--corpus .* \(with the checkpoint's tokenizer\) has \d+ characters the tokenizer's vocabulary lacks/,
    );
    writeFileSync(path.join(dir, 'config.json'), '{"n_embd": 8');
    await refused(['gpt', '--resume', dir], /^--resume .*: config\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BERT and word2vec files: label lines, documents, words past --min-count, questions lines', async () => {
  await refused(['bert', '--labels', files.labels], /^--labels .*labels\.tsv:3: label "maybe" is not 0 or 1$/);
  await refused(
    ['bert', '--corpus', files.oneDoc],
    /^--corpus .*onedoc\.txt: bert: the corpus has 1 document; it needs at least 4/,
  );
  await refused(
    ['bert', '--embd', '24', '--heads', '4'],
    /^bert: head size hidden\/heads = 24\/4 = 6 must be a multiple of 4/,
  );
  await refused(
    ['word2vec', '--corpus', files.fewWords],
    /^--corpus .*few\.txt: word2vec corpus: no word occurs at least min-count = 5 times/,
  );
  await refused(['word2vec', '--questions', files.questions], /^--questions .*q\.txt:3: expected four words/);
  await refused(['word2vec', '--corpus', files.binary], /a binary file, not text/);
  const bert = writeFolder(bertFolderFiles(), 'pretrained');
  try {
    // a pretrained/ folder without optimizer state or progress cannot be resumed
    await refused(
      ['bert', '--resume', bert],
      /^--resume .*pretrained: bert --resume: the folder has no optimizer\.safetensors/,
    );
  } finally {
    rmSync(bert, { recursive: true, force: true });
  }
});

test('exit codes and one line: input errors (Node or page) exit 2, failures 1; prefixes, stacks and doubled names dropped', () => {
  assert.equal(exitCodeOf(new InputError('x')), 2);
  assert.equal(exitCodeOf(new PageError(true, 'x', '')), 2);
  assert.equal(exitCodeOf(new PageError(false, 'x', '')), 1);
  assert.equal(exitCodeOf(new Error('x')), 1);
  assert.equal(unwrap({ ok: true, value: 3 }), 3);
  assert.throws(
    () =>
      unwrap({
        ok: false,
        input: true,
        name: 'InputError',
        message: 'bad',
        stack: 'InputError: bad\n    at f (x.ts:1)',
      }),
    (e: unknown) => e instanceof PageError && e.input && e.pageStack.includes('at f'),
  );
  assert.equal(oneLine('page.evaluate: Error: boom\n    at eval (x.js:1:2)\n    at y'), 'boom');
  assert.equal(oneLine('the page reported errors:\nfirst\nsecond'), 'the page reported errors: | first | second');
  assert.equal(
    errorLine('bert fill-mask', new InputError('bert fill-mask: "x" has no [MASK]')),
    'bert fill-mask: "x" has no [MASK]',
  );
  assert.equal(
    errorLine('train', new InputError('gpt: embd 66 is not divisible by heads 4')),
    'train: gpt: embd 66 is not divisible by heads 4',
  );
  assert.equal(errorLine('train', new Error('device lost')), 'train failed: device lost');
});

test.after(() => rmSync(root, { recursive: true, force: true }));
