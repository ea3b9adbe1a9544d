// The train CLI end to end: `scripts/train.ts mlp` trains in headless Chromium and writes
// metrics.json and a checkpoint that parses; a bad argument exits 2 with the usage text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../scripts/lib/browser';
import { parseCheckpoint, CHECKPOINT_FILES } from '../src/io/checkpoint';

function train(args: string[], timeout = 90_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/train.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

test('train mlp writes metrics.json and a checkpoint that parses', { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 120_000 }, () => {
  const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-train-'));
  try {
    const r = train(['mlp', '--steps', '12', '--seed', '3', '--stop-loss', '0', '--out', out]);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(m.model, 'mlp');
    assert.equal(m.steps, 12);
    assert.equal(m.seed, 3);
    for (const k of ['loss', 'accuracy', 'seconds'] as const) assert.ok(typeof m[k] === 'number' && Number.isFinite(m[k]), `${k} = ${m[k]}`);
    assert.ok((m.accuracy as number) >= 0 && (m.accuracy as number) <= 1);
    assert.ok(typeof m.adapter === 'string' && m.adapter.length > 0, `adapter ${m.adapter}`);
    const files = Object.fromEntries(CHECKPOINT_FILES.map((f) => [f, new Uint8Array(readFileSync(path.join(out, f)))]));
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
});

test('a bad argument exits 2 with the usage text and writes nothing', () => {
  const out = path.join(tmpdir(), `shadergrad-never-${process.pid}`);
  for (const args of [['mlp', '--steps', 'many'], ['lstm'], ['mlp', '--frobnicate']]) {
    const r = train([...args, '--out', out], 30_000);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /^train: /);
    assert.match(r.stderr, /usage: npm run train -- <perceptron\|mlp/);
  }
  assert.ok(!existsSync(out), 'no output folder');
});
