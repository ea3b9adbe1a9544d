// The train CLI's argument parser (scripts/lib/cli.ts): models, common and per-model flags,
// defaults, every kind of bad argument, and a model with a file flag plugged in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTrainArgs,
  defaultOutDir,
  progressLine,
  usage,
  baselineLine,
  type Parsed,
  type TrainArgs,
} from '../../scripts/lib/cli';
import { maxOf, COMMON_FLAGS, MODELS, type ModelSpec } from '../../scripts/lib/flags';

const NOW = new Date(2025, 0, 2, 3, 4, 5);

function run(argv: string[], env: Parameters<typeof parseTrainArgs>[1] = {}): TrainArgs {
  const p = parseTrainArgs(argv, { now: NOW, ...env });
  assert.equal(p.kind, 'run', p.kind === 'error' ? p.message : 'help');
  return (p as Extract<Parsed, { kind: 'run' }>).args;
}

function error(argv: string[], env: Parameters<typeof parseTrainArgs>[1] = {}): string {
  const p = parseTrainArgs(argv, { now: NOW, ...env });
  assert.equal(p.kind, 'error', `expected an error for ${argv.join(' ')}`);
  const e = p as Extract<Parsed, { kind: 'error' }>;
  assert.match(e.usage, /^usage: npm run train -- <perceptron\|mlp/);
  return e.message;
}

test('defaults: seed 1, the model default steps, a fresh folder under runs/', () => {
  const a = run(['mlp']);
  assert.deepEqual(a, {
    model: 'mlp',
    seed: 1,
    steps: 500,
    out: 'runs/mlp-20250102-030405',
    force: false,
    options: { lr: 0.1, hidden: 2, 'stop-loss': 0.05 },
    files: [],
  });
  assert.equal(run(['perceptron']).options.gate, 'and');
});

test('flags as separate words and with =, model flags, a -- separator', () => {
  const a = run(['--', 'mlp', '--seed', '7', '--steps=20', '--out', '/tmp/x', '--force', '--lr', '0.05', '--hidden=3']);
  assert.deepEqual(a, {
    model: 'mlp',
    seed: 7,
    steps: 20,
    out: '/tmp/x',
    force: true,
    options: { lr: 0.05, hidden: 3, 'stop-loss': 0.05 },
    files: [],
  });
  assert.equal(run(['perceptron', '--gate', 'xor']).options.gate, 'xor');
});

test('the default out folder never reuses an existing one', () => {
  const taken = new Set(['runs/mlp-20250102-030405', 'runs/mlp-20250102-030405-2']);
  assert.equal(
    defaultOutDir('mlp', NOW, (p) => taken.has(p)),
    'runs/mlp-20250102-030405-3',
  );
  assert.equal(run(['mlp'], { exists: (p) => taken.has(p) }).out, 'runs/mlp-20250102-030405-3');
});

test('bad arguments are errors with the usage text', () => {
  assert.match(error([]), /no model given/);
  assert.match(error(['gpt2']), /unknown model "gpt2" \(models: perceptron, mlp\b/);
  assert.match(error(['--seed', '1', 'mlp']), /the model comes first/);
  assert.match(error(['mlp', '--steps', 'ten']), /--steps takes a whole number, got "ten"/);
  assert.match(error(['mlp', '--steps', '0']), /--steps must be at least 1/);
  assert.match(error(['mlp', '--steps', '1.5']), /whole number/);
  assert.match(error(['mlp', '--seed', '-3']), /--seed must be at least 0/);
  assert.match(error(['mlp', '--lr', 'fast']), /--lr takes a number/);
  assert.match(error(['mlp', '--lr', '0']), /--lr must be greater than 0/);
  assert.match(error(['mlp', '--lr', '']), /--lr takes a number/);
  assert.match(error(['mlp', '--bogus', '1']), /unknown option "--bogus" for mlp/);
  assert.match(error(['mlp', '--gate', 'and']), /unknown option "--gate" for mlp/);
  assert.match(error(['perceptron', '--gate', 'xnor']), /must be one of and, or, nand, xor/);
  assert.match(error(['mlp', '--steps']), /--steps needs a value/);
  assert.match(error(['mlp', '--steps', '--seed', '2']), /--steps needs a value/);
  assert.match(error(['mlp', '--seed', '1', '--seed', '2']), /--seed given twice/);
  assert.match(error(['mlp', 'extra']), /unexpected argument "extra"/);
  assert.match(error(['mlp', '-s', '3']), /unexpected argument "-s"/);
  assert.match(error(['mlp', '--out', '']), /--out needs a value/);
});

test('negative, zero and absurd numbers are refused naming the flag and the limit; every number has one', () => {
  assert.match(error(['gpt', '--steps', '-5']), /--steps must be at least 1, got "-5"/);
  assert.match(error(['gpt', '--layers', '0']), /--layers must be at least 1, got "0"/);
  assert.match(error(['gpt', '--batch', '100000']), /--batch must be at most 65536, got "100000"/);
  assert.match(error(['gpt', '--block', '100000']), /--block must be at most 8192, got "100000"/);
  assert.match(error(['bert', '--heads', '1000']), /--heads must be at most 64/);
  assert.match(error(['gpt', '--dropout', '1']), /--dropout must be less than 1, got "1"/);
  assert.match(error(['gpt', '--lr', '1e6']), /--lr must be at most 10/);
  assert.match(error(['mlp', '--steps', '99999999999999999999']), /--steps is too large \(at most 10000000\)/);
  assert.match(error(['word2vec', '--window', 'wide']), /--window takes a whole number, got "wide"/);
  assert.equal(run(['gpt', '--block', '8192']).options.block, 8192, 'the limit itself is allowed');
  assert.match(usage(MODELS, 'gpt'), /--block N .*\(default \d+, at most 8192\)/);
  for (const f of [...COMMON_FLAGS, ...MODELS.flatMap((m) => m.flags)]) {
    if (f.kind === 'int' || f.kind === 'number')
      assert.ok(maxOf(f), `--${f.name} has no upper limit (FLAG_MAX or max)`);
  }
});

test('--help prints the usage, for one model when named', () => {
  const all = parseTrainArgs(['--help']);
  assert.equal(all.kind, 'help');
  const text = (all as { text: string }).text;
  for (const m of MODELS) assert.ok(text.includes(`${m.name}: `), m.name);
  const one = parseTrainArgs(['perceptron', '-h']) as { text: string };
  assert.match(one.text, /--gate and\|or\|nand\|xor/);
  assert.doesNotMatch(one.text, /--hidden/);
});

test('a later model plugs in with its own flags, e.g. a --corpus FILE that must exist', () => {
  const word2vec: ModelSpec = {
    name: 'fake_w2v',
    summary: 'skip-gram with negative sampling',
    steps: { default: 1000, unit: 'batches' },
    flags: [
      { name: 'corpus', kind: 'file', help: 'a text file' },
      { name: 'dim', kind: 'int', min: 1, default: 50, help: 'vector size' },
      { name: 'cbow', kind: 'bool', help: 'CBOW instead of skip-gram' },
    ],
  };
  const models = [...MODELS, word2vec];
  const exists = (p: string): boolean => p === 'data/text8.txt';
  const a = run(['fake_w2v', '--corpus', 'data/text8.txt', '--cbow', '--dim', '64'], { models, exists });
  assert.deepEqual(a.options, { corpus: 'data/text8.txt', dim: 64, cbow: true });
  assert.deepEqual(a.files, ['corpus']);
  assert.equal(run(['fake_w2v', '--cbow=false'], { models, exists }).options.cbow, false);
  assert.match(
    error(['fake_w2v', '--corpus', 'missing.txt'], { models, exists }),
    /--corpus: no such file "missing.txt"/,
  );
  assert.match(usage(models), /--corpus FILE/);
});

test('progress line', () => {
  assert.equal(progressLine(5, 10, { loss: 0.123456 }, 10), '[#####.....]   5/10  loss 0.1235');
  assert.equal(progressLine(10, 10, {}, 4), '[####]  10/10');
  assert.equal(progressLine(0, 0, { acc: 1 }, 2), '[..]  0/0  acc 1');
});

test('the final loss is printed beside the unigram baseline and, for the built-in stories, the corpus floor', () => {
  const line = baselineLine({
    val_loss: 0.44421,
    unigram_baseline: 3.05206,
    entropy_floor_nats_per_char: 0.10784,
    tokenizer: 'char',
  });
  assert.equal(
    line,
    "val loss 0.4442 nats/char; unigram baseline 3.0521 (no context); corpus floor 0.1078 (the generator's own entropy)",
  );
  assert.equal(
    baselineLine({ val_loss: 2.5, unigram_baseline: 6, tokenizer: 'bpe' }),
    'val loss 2.5000 nats/token; unigram baseline 6.0000 (no context)',
  );
  assert.equal(baselineLine({ loss: 0.1, accuracy: 1 }), null); // e.g. the perceptron
  assert.equal(baselineLine({ val_loss: NaN, unigram_baseline: 3 }), null);
});
