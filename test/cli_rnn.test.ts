// `npm run train -- lstm` end to end, a few steps of a tiny model: metrics.json with the val loss
// beside the baselines and the gradient lesson's curves, the checkpoint files (they parse, with
// the LSTM's parameters and Adam state), and the val-loss line on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCheckpoint, CHECKPOINT_FILES } from '../src/io/checkpoint';
import { train } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

test(
  'train lstm writes metrics.json (val loss, baselines, gradient-norm curves) and a checkpoint that parses',
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 180_000 },
  () => {
    const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-lstm-'));
    try {
      const args = ['lstm', '--steps', '4', '--hidden', '8', '--block', '6', '--batch', '2', '--out', out, '--force'];
      const r = train(args, 170_000);
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(m.model, 'lstm');
      assert.equal(m.steps, 4);
      for (const k of ['val_loss', 'unigram_baseline', 'val_accuracy', 'loss'] as const)
        assert.ok(typeof m[k] === 'number' && Number.isFinite(m[k]), `${k} = ${m[k]}`);
      const g = m.grad_norm_trained as { norm: number[]; ratio: number[] };
      assert.equal(g.norm.length, 32, 'the lesson’s window');
      assert.equal(g.ratio[0], 1);
      const files = Object.fromEntries(
        CHECKPOINT_FILES.map((f) => [f, new Uint8Array(readFileSync(path.join(out, f)))]),
      );
      const ck = parseCheckpoint(files);
      assert.deepEqual([...ck.params['cell.0.f.weight_hh']!.shape], [8, 8]);
      assert.ok(ck.optimizer.slots['head.weight']?.m, 'Adam moments saved');
      assert.equal(ck.progress.step, 4);
      JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
      assert.match(r.stdout, /^val loss \d+\.\d{4} nats\/char; unigram baseline \d+\.\d{4} \(no context\)/m);
      assert.match(r.stdout, /^lstm: 4 steps, loss /m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
