// Runs a CLI of scripts/ as a child process, as a user would (`node --import tsx
// scripts/<name> …` from the repository root), for the end-to-end tests test/cli*.test.ts:
// its exit status, stdout and stderr. A run past `timeout` ms is killed (status null).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/browser';

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `scripts/<name> …args`, e.g. script('bert.ts', ['fill-mask', dir, text]). */
export function script(name: string, args: string[], timeout = 300_000): ScriptRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', name), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `scripts/train.ts …args` (npm run train), with a shorter default timeout. */
export function train(args: string[], timeout = 90_000): ScriptRun {
  return script('train.ts', args, timeout);
}
