// The train CLI end to end: `scripts/train.ts mlp` trains in headless Chromium and writes
// metrics.json and a checkpoint that parses; `scripts/train.ts gpt` writes checkpoints during
// the run, prints the baselines and records the browser. Bad input is test/cli_errors.test.ts;
// `npm run bert` on a trained run is test/cli_bert.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCheckpoint, CHECKPOINT_FILES } from '../src/io/checkpoint';
import { train } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

test(
  'train mlp writes metrics.json and a checkpoint that parses',
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 120_000 },
  () => {
    const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-train-'));
    try {
      const r = train(['mlp', '--steps', '12', '--seed', '3', '--stop-loss', '0', '--out', out]);
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(m.model, 'mlp');
      assert.equal(m.steps, 12);
      assert.equal(m.seed, 3);
      for (const k of ['loss', 'accuracy', 'seconds'] as const)
        assert.ok(typeof m[k] === 'number' && Number.isFinite(m[k]), `${k} = ${m[k]}`);
      assert.ok((m.accuracy as number) >= 0 && (m.accuracy as number) <= 1);
      assert.ok(typeof m.adapter === 'string' && m.adapter.length > 0, `adapter ${m.adapter}`);
      const files = Object.fromEntries(
        CHECKPOINT_FILES.map((f) => [f, new Uint8Array(readFileSync(path.join(out, f)))]),
      );
      const ck = parseCheckpoint(files);
      assert.deepEqual(Object.keys(ck.params).sort(), ['hidden.bias', 'hidden.weight', 'out.bias', 'out.weight']);
      assert.deepEqual([...ck.params['hidden.weight']!.shape], [2, 2]);
      assert.equal(ck.progress.step, 12);
      assert.equal(ck.optimizer.name, 'adam');
      assert.ok(ck.optimizer.slots['out.weight']?.m && ck.optimizer.slots['out.weight']?.v, 'Adam moments saved');
      assert.equal(ck.config.model, 'mlp');
      assert.match(r.stdout, /mlp: 12 steps, loss .*, accuracy .*%/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

test(
  'train gpt writes checkpoints during the run (--checkpoint-every), prints the baselines and records the browser',
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 180_000 },
  () => {
    const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-gpt-'));
    rmSync(out, { recursive: true }); // --out must be new (or empty)
    try {
      const r = train(
        [
          'gpt',
          '--steps',
          '5',
          '--checkpoint-every',
          '2',
          '--layers',
          '1',
          '--heads',
          '2',
          '--embd',
          '8',
          '--block',
          '16',
          '--batch',
          '2',
          '--out',
          out,
        ],
        170_000,
      );
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(m.checkpoints_during_run, [2, 4]);
      assert.match(String(m.browser), /^Chromium \d+\.\d+\.\d+\.\d+ \((bundled|system|CHROMIUM_PATH) /);
      assert.match(
        r.stdout,
        /^val loss \d+\.\d{4} nats\/char; unigram baseline \d+\.\d{4} \(no context\); corpus floor 0\.10\d\d /m,
      );
      assert.match(r.stderr, /^browser: Chromium /m);
      for (const f of ['model.safetensors', 'optimizer.safetensors', 'config.json', 'tokenizer.json'])
        assert.ok(existsSync(path.join(out, f)), f);
      assert.ok(!existsSync(path.join(out, 'model.safetensors.partial')), 'no partial file left');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
