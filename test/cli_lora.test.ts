// `npm run train -- gpt --init DIR --lora R` on a Hugging Face GPT-2 folder (test/fixtures/
// hf_gpt2_f16): it writes PEFT's adapter files (and merged/ with --merge), prints the base model's
// sample before training, resumes with --resume + --init (exactness: test/gpu/lora.gpu.ts), and `npm run generate` on the
// adapter folder gives the same greedy text as on merged/. Bad LoRA flags are refused in one line
// before the browser starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../scripts/lib/browser';
import { script, train } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';
const BASE = path.join(ROOT, 'test', 'fixtures', 'hf_gpt2_f16');
const tmp = mkdtempSync(path.join(tmpdir(), 'shadergrad-lora-'));
const corpus = path.join(tmp, 'corpus.txt');
writeFileSync(corpus, 'the cat is playing in the garden. the dog sat on the mat.\n'.repeat(30));
const json = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
const common = ['--init', BASE, '--lora', '4', '--lora-targets', 'c_attn,mlp.c_proj', '--corpus', corpus];
const flags = [...common, '--batch', '2', '--lr', '3e-3', '--seed', '3'];

test(
  'train gpt --init --lora: PEFT adapter files, merged/, the base model’s sample first; --resume continues; generate on adapter = on merged/',
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1' },
  () => {
    const out = path.join(tmp, 'run');
    const r = train(['gpt', ...flags, '--steps', '6', '--merge', '--out', out], 180_000);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /sample before training:\n/);
    const cfg = json(path.join(out, 'adapter_config.json'));
    assert.equal(cfg['peft_type'], 'LORA');
    assert.deepEqual(cfg['target_modules'], ['c_attn', 'mlp.c_proj']);
    assert.equal(cfg['base_model_name_or_path'], BASE);
    const m = json(path.join(out, 'metrics.json'));
    // r·(in + out) per adapter: c_attn 4·(16 + 48), mlp.c_proj 4·(64 + 16), two layers
    assert.equal(m['trainable_params'], 2 * (4 * 64 + 4 * 80));
    assert.ok(typeof m['sample_before'] === 'string' && m['sample_before'] !== m['sample']);

    // --resume (with its --init) continues the adapter from its step, optimizer and data position
    const more = train(['gpt', ...flags, '--steps', '8', '--merge', '--resume', out, '--out', out], 180_000);
    assert.equal(more.status, 0, more.stderr);
    const after = json(path.join(out, 'metrics.json'));
    assert.equal(after['steps'], 8);
    assert.equal(after['steps_this_run'], 2);
    assert.equal((json(path.join(out, 'shadergrad.json'))['progress'] as { step: number }).step, 8);
    const noBase = train(['gpt', '--resume', out, '--corpus', corpus, '--steps', '9', '--out', out]);
    assert.equal(noBase.status, 2, noBase.stderr);
    assert.match(noBase.stderr, /a LoRA run: give its base model too \(--init DIR/);

    // the adapter on its base and the merged model generate the same greedy text
    const gen = (dir: string): string => {
      const g = script('generate.ts', [dir, '--prompt', 'the cat', '--tokens', '12', '--temperature', '0']);
      assert.equal(g.status, 0, g.stderr);
      return g.stdout;
    };
    assert.equal(gen(out), gen(path.join(out, 'merged')));
  },
);

test('train gpt: LoRA flags that cannot work are refused in one line before the browser starts', () => {
  const cases: [string[], RegExp][] = [
    [['--lora', '4', '--corpus', corpus], /--lora: LoRA fine-tunes a trained model: give its folder with --init DIR/],
    [
      ['--init', BASE, '--lora', '4', '--corpus', corpus, '--lora-targets', 'q_proj'],
      /--lora-targets: lora: no module matches the targets q_proj \(modules: attn\.c_attn/,
    ],
    [['--init', BASE, '--merge', '--corpus', corpus], /--merge: only a LoRA run/],
    [[...common, '--lora-dropout', '1'], /--lora-dropout/],
  ];
  for (const [args, want] of cases) {
    const r = train(['gpt', ...args, '--steps', '1', '--out', path.join(tmp, 'bad')]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim().split('\n')[0]!, want);
  }
});
