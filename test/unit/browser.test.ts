// Browser resolution (scripts/lib/browser.ts) and the bundle's tar reader
// (scripts/lib/bundled_chromium.ts), without starting a browser: a fake `chromium` on a temporary
// PATH stands for a system install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { browserChoice, describeBrowser, onPath, resolveBrowser, withTuning } from '../../scripts/lib/browser';
import { bundledPackageDir, tarEntries } from '../../scripts/lib/bundled_chromium';
import { ROOT } from '../../scripts/lib/browser';
import { assertRejects } from '../harness/assert';

function fakeBrowserDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-browser-'));
  writeFileSync(path.join(dir, name), '#!/bin/sh\necho fake\n');
  chmodSync(path.join(dir, name), 0o755);
  return dir;
}

test('SHADERGRAD_BROWSER takes auto, system or bundled (blank = auto) and names a bad value', () => {
  assert.equal(browserChoice(undefined), 'auto');
  assert.equal(browserChoice(' '), 'auto');
  assert.equal(browserChoice('system'), 'system');
  assert.equal(browserChoice('bundled'), 'bundled');
  assert.throws(() => browserChoice('firefox'), /SHADERGRAD_BROWSER must be auto, system or bundled, got "firefox"/);
});

test('the order: CHROMIUM_PATH, then a system browser on PATH, then the bundle; the choice forces one', async () => {
  const dir = fakeBrowserDir('chromium-headless-shell');
  const other = fakeBrowserDir('google-chrome');
  const sys = await resolveBrowser('auto', { env: { PATH: `${other}${path.delimiter}${dir}` }, systemPaths: [] });
  assert.equal(sys.source, 'system');
  assert.equal(sys.executablePath, path.join(other, 'google-chrome')); // chromium-headless-shell comes later in the list
  const viaEnv = await resolveBrowser('auto', {
    env: { PATH: dir, CHROMIUM_PATH: path.join(other, 'google-chrome') },
    systemPaths: [],
  });
  assert.deepEqual([viaEnv.source, viaEnv.executablePath], ['CHROMIUM_PATH', path.join(other, 'google-chrome')]);
  await assertRejects(
    'a CHROMIUM_PATH that is not there',
    () => resolveBrowser('auto', { env: { CHROMIUM_PATH: path.join(dir, 'nope') }, systemPaths: [] }),
    /CHROMIUM_PATH=.*nope is not an executable file/,
  );
  await assertRejects(
    'system with none installed',
    () => resolveBrowser('system', { env: { PATH: '' }, systemPaths: [] }),
    /SHADERGRAD_BROWSER=system but no system Chromium was found .*apt-get install chromium.*CHROMIUM_PATH/,
  );
  // a file that is not executable is not a browser
  const plain = mkdtempSync(path.join(tmpdir(), 'sg-browser-'));
  writeFileSync(path.join(plain, 'chromium'), '');
  assert.equal(onPath(['chromium'], plain), null);
});

test('the bundle: installed by npm ci on linux-x64, unpacked into a folder named by its version', async (t) => {
  if (!(process.platform === 'linux' && process.arch === 'x64')) {
    // elsewhere the package is absent and the message says what to install
    await assertRejects(
      'no bundle for this platform',
      () => resolveBrowser('bundled', { env: {} }),
      /No Chromium found: no bundled browser for .*install Chrome or Chromium/,
    );
    return;
  }
  assert.ok(bundledPackageDir(ROOT), 'npm ci installs @sparticuz/chromium (an optional dependency) on linux-x64');
  t.diagnostic('resolving the bundle unpacks it on first use (about 10 s)');
  const b = await resolveBrowser('bundled', { env: { PATH: fakeBrowserDir('chromium') } }); // a system browser is ignored
  assert.equal(b.source, 'bundled');
  assert.match(b.package ?? '', /^@sparticuz\/chromium \d+\.\d+\.\d+$/);
  assert.match(b.executablePath, /node_modules\/\.cache\/shadergrad\/chromium-\d+\.\d+\.\d+\/chromium$/);
  assert.equal(describeBrowser(b, '147.0.7727.0'), `Chromium 147.0.7727.0 (bundled ${b.package})`);
});

/** A ustar archive of the given entries (folders end with '/'). */
function tar(entries: [string, string][]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const [name, body] of entries) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'latin1');
    h.write('0000755\0', 100, 'latin1');
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write(name.endsWith('/') ? '5' : '0', 156, 'latin1');
    h.write('ustar\x0000', 257, 'latin1');
    blocks.push(h);
    const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
    data.write(body, 0, 'latin1');
    blocks.push(data);
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

test('the tar reader: files and folders; entries that escape the folder or run past the end are refused', () => {
  const body = 'x'.repeat(700); // more than one block
  const got = [
    ...tarEntries(
      tar([
        ['lib/', ''],
        ['lib/libnss3.so', body],
        ['vk_swiftshader_icd.json', '{}'],
      ]),
    ),
  ];
  assert.deepEqual(
    got.map((e) => [e.name, e.data === null ? null : Buffer.from(e.data).toString('latin1')]),
    [
      ['lib/', null],
      ['lib/libnss3.so', body],
      ['vk_swiftshader_icd.json', '{}'],
    ],
  );
  assert.equal(got[1]!.mode, 0o755);
  assert.throws(() => [...tarEntries(tar([['../evil', 'x']]))], /points outside the folder/);
  assert.throws(
    () => [...tarEntries(tar([['big', 'x'.repeat(600)]]).subarray(0, 1024))],
    /runs past the archive's end/,
  );
});

test('SHADERGRAD_TUNING reaches a page as its ?tuning= query, unless the URL names one', () => {
  assert.equal(
    withTuning('http://localhost:5173/demos/gpt/?cli=1', undefined),
    'http://localhost:5173/demos/gpt/?cli=1',
  );
  assert.equal(withTuning('http://localhost:5173/demos/gpt/?cli=1', ''), 'http://localhost:5173/demos/gpt/?cli=1');
  const u = new URL(withTuning('http://localhost:5173/demos/gpt/?cli=1', 'matmul.variant=register,softmax.threads=4'));
  assert.equal(u.searchParams.get('cli'), '1');
  assert.equal(u.searchParams.get('tuning'), 'matmul.variant=register,softmax.threads=4');
  const kept = new URL(withTuning('http://localhost:5173/demos/bench/?tuning=class%3Dgpu', 'class=cpu'));
  assert.equal(kept.searchParams.get('tuning'), 'class=gpu');
});
