// scripts/bert.ts's argument parser (scripts/lib/bert_args.ts): ops, the folder each op reads,
// texts from arguments and files, and every kind of bad argument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkpointDir, parseBertArgs, textsOfFile, type BertArgs } from '../../scripts/lib/bert_args';

// a fake file system: a run folder with pretrained/ and classifier/, a bare checkpoint folder, a text file
const FILES = new Set([
  path.join('run', 'pretrained', 'config.json'),
  path.join('run', 'classifier', 'config.json'),
  path.join('ck', 'config.json'),
  'texts.txt',
]);
const exists = (p: string): boolean => FILES.has(p);
const ok = (argv: string[]): BertArgs => {
  const r = parseBertArgs(argv, exists);
  assert.equal(typeof r, 'object', `expected arguments, got error: ${String(r)}`);
  return r as BertArgs;
};
const bad = (argv: string[]): string => {
  const r = parseBertArgs(argv, exists);
  assert.equal(typeof r, 'string', `expected an error for ${argv.join(' ')}`);
  return r as string;
};

test('each op reads its sub-folder of a run folder, or the folder given', () => {
  assert.deepEqual(ok(['fill-mask', 'run', 'a [MASK] b']), {
    op: 'fill-mask',
    dir: path.join('run', 'pretrained'),
    texts: ['a [MASK] b'],
    file: null,
    topK: 5,
    word: '',
    json: false,
  });
  assert.equal(ok(['classify', 'run', 'good']).dir, path.join('run', 'classifier'));
  assert.equal(ok(['similarity', 'run', '--word', 'bank', 'x bank', 'y bank']).dir, path.join('run', 'pretrained'));
  assert.equal(ok(['classify', 'ck', 'good']).dir, 'ck');
  assert.equal(checkpointDir('ck', 'fill-mask', exists), 'ck');
});

test('options: --top-k, --json, --file, --word; texts in order', () => {
  const a = ok(['fill-mask', 'run', 'one [MASK]', '--top-k', '3', '--json', 'two [MASK]']);
  assert.deepEqual([a.topK, a.json, a.texts], [3, true, ['one [MASK]', 'two [MASK]']]);
  const c = ok(['classify', 'run', '--file', 'texts.txt']);
  assert.deepEqual([c.file, c.texts], ['texts.txt', []]);
  const s = ok(['similarity', 'ck', '--word', 'bat', '--file', 'texts.txt']);
  assert.equal(s.word, 'bat');
});

test('bad arguments are named', () => {
  assert.match(bad([]), /no operation/);
  assert.match(bad(['generate', 'run', 'x']), /unknown operation "generate"/);
  assert.match(bad(['fill-mask']), /no checkpoint folder/);
  assert.match(bad(['fill-mask', 'nowhere', 'a [MASK]']), /nowhere has no config\.json/);
  assert.match(bad(['fill-mask', 'run']), /no text given/);
  assert.match(bad(['fill-mask', 'run', 'x', '--top-k', '0']), /--top-k takes a whole number/);
  assert.match(bad(['fill-mask', 'run', 'x', '--top-k', '2.5']), /--top-k takes a whole number/);
  assert.match(bad(['classify', 'run', 'x', '--top-k', '2']), /--top-k is for fill-mask/);
  assert.match(bad(['classify', 'run', 'x', '--word', 'w']), /--word is for similarity/);
  assert.match(bad(['classify', 'run', '--file', 'missing.txt']), /--file missing\.txt does not exist/);
  assert.match(bad(['classify', 'run', 'x', '--frobnicate']), /unknown option "--frobnicate"/);
  assert.match(bad(['similarity', 'run', 'a bank', 'b bank']), /needs --word/);
  assert.match(bad(['similarity', 'run', '--word', 'bank', 'a bank']), /at least two texts/);
});

test('a --file holds one text per line; blank lines are skipped', () => {
  assert.deepEqual(textsOfFile('good\r\n\n  not good  \nbad\n'), ['good', 'not good', 'bad']);
});
