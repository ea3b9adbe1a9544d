// Every demo page (demos/*/index.html, except the benchmark, which is a program) loads in headless
// Chromium and reaches its ready state (`document.body.dataset.ready === '1'`) with no console
// error, page error or failed request; the root index.html links every demo.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startBrowserEnv, openPage, type BrowserEnv } from '../scripts/lib/browser';

const SKIP = new Set(['bench']);
/** Query strings that keep a page's initial run short on a software GPU. */
const QUERY: Record<string, string> = { perceptron: '?fast=1&mlpSteps=150', bert: '?auto=1&steps=10&ftSteps=10' };

const demos = readdirSync(path.join(ROOT, 'demos'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, 'demos', d.name, 'index.html')))
  .map((d) => d.name)
  .sort();
const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

let envPromise: Promise<BrowserEnv> | null = null;
const env = (): Promise<BrowserEnv> => (envPromise ??= startBrowserEnv());
after(async () => {
  if (envPromise) await (await envPromise).close();
});

test('the root index.html links every demo', () => {
  const html = readFileSync(path.join(ROOT, 'index.html'), 'utf8');
  for (const d of demos) assert.ok(html.includes(`href="demos/${d}/"`), `index.html has no link to demos/${d}/`);
});

for (const name of demos.filter((d) => !SKIP.has(d))) {
  test(`demo ${name} reaches its ready state with no errors`, { timeout: 180_000 }, async (t) => {
    const { browser, url } = await env();
    const { page, log } = await openPage(browser, `${url}/demos/${name}/${QUERY[name] ?? ''}`, process.env.SHADERGRAD_DEBUG !== undefined);
    try {
      await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 170_000, polling: 200 });
      const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: document.body.dataset.error }));
      if (state.ready !== '1' && noGpu && /WebGPU|adapter|navigator\.gpu/.test(state.error ?? '')) {
        t.skip(`no WebGPU and SHADERGRAD_NO_GPU=1 (${state.error})`);
        return;
      }
      assert.equal(state.ready, '1', `ready state "${state.ready}": ${state.error ?? ''}\n${log.errors.join('\n')}`);
      assert.deepEqual(log.errors, [], `page errors:\n${log.errors.join('\n')}`);
    } finally {
      await page.close();
    }
  });
}
