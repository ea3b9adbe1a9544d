// Every demo page (demos/*/index.html, the benchmark included: loaded, not run) and the root
// index.html load in headless Chromium and reach their ready state
// (`document.body.dataset.ready === '1'`) with no console error, page error or failed request;
// the root index.html links every demo. The lesson pages are driven through a short training run
// by their URL options, and each of their charts must have points and finite live numbers
// (`window.__demo.charts`, demos/common/progress.ts), with no NaN or Infinity in the page's text.
// The word2vec page then loads a tiny GloVe file through its file input and queries it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, startBrowserEnv, openPage, type BrowserEnv } from '../scripts/lib/browser';

/** Query strings that run each lesson page for a few steps (short on a software GPU). */
const QUERY: Record<string, string> = {
  perceptron: '?fast=1&steps=30',
  word2vec: '?auto=1&tokens=5000&epochs=1&steps=6',
  gpt: '?auto=1&steps=3&preset=tiny&batch=2',
  bert: '?auto=1&steps=5&ftSteps=5',
};
/** The charts each lesson page must have drawn after its short run. */
const CHARTS: Record<string, string[]> = {
  perceptron: ['and-plot', 'mlp-loss', 'gd-loss'],
  word2vec: ['loss', 'pca'],
  gpt: ['loss'],
  bert: ['loss-plot', 'acc-plot', 'ft-plot'],
};
/** The word2vec page reads a tiny GloVe file through its file input and queries the loaded vectors. */
async function loadGlove(page: Page): Promise<void> {
  const glove = 'king 0.5 0.1 -0.25\nqueen 0.45 0.2 -0.2\nman 0.3 -0.4 0.1\nwoman 0.25 -0.3 0.15\n';
  await page.fill('#nnWord', 'king');
  await page.setInputFiles('#pretrained', {
    name: 'tiny.glove.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(glove),
  });
  await page.waitForFunction(() => document.body.dataset.pretrained !== undefined, null, { timeout: 20_000 });
  const got = await page.evaluate(() => ({
    loaded: document.body.dataset.pretrained,
    status: document.getElementById('pretrainedStatus')?.textContent ?? '',
    nn: document.getElementById('nnOut')?.textContent ?? '',
  }));
  assert.equal(got.loaded, '4', `word2vec: loading a GloVe file: ${got.status}`);
  assert.match(got.status, /4 words × 3 \(GloVe/);
  assert.match(got.nn, /^queen /, `word2vec: neighbours of "king" in the loaded vectors: ${got.nn}`);
}
interface ChartState {
  points: number;
  numbers: Record<string, number>;
}

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

for (const name of ['(root index)', ...demos]) {
  const root = name === '(root index)';
  test(
    `${root ? 'the root index.html' : `demo ${name}`} reaches its ready state with no errors`,
    { timeout: 180_000 },
    async (t) => {
      const { browser, url } = await env();
      const { page, log } = await openPage(
        browser,
        root ? `${url}/` : `${url}/demos/${name}/${QUERY[name] ?? ''}`,
        process.env.SHADERGRAD_DEBUG !== undefined,
      );
      try {
        await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, {
          timeout: 170_000,
          polling: 200,
        });
        const state = await page.evaluate(() => ({
          ready: document.body.dataset.ready,
          error: document.body.dataset.error,
        }));
        if (state.ready !== '1' && noGpu && /WebGPU|adapter|navigator\.gpu/.test(state.error ?? '')) {
          t.skip(`no WebGPU and SHADERGRAD_NO_GPU=1 (${state.error})`);
          return;
        }
        assert.equal(state.ready, '1', `ready state "${state.ready}": ${state.error ?? ''}\n${log.errors.join('\n')}`);
        assert.deepEqual(log.errors, [], `page errors:\n${log.errors.join('\n')}`);
        const want = CHARTS[name];
        if (!want) return;
        const shown = await page.evaluate(() => ({
          charts: ((window as unknown as { __demo?: { charts?: Record<string, unknown> } }).__demo?.charts ??
            {}) as Record<string, ChartState>,
          text: document.body.innerText,
        }));
        for (const id of want) {
          const c = shown.charts[id];
          assert.ok(
            c,
            `${name}: chart #${id} published nothing (charts: ${Object.keys(shown.charts).join(', ') || 'none'})`,
          );
          assert.ok(c.points > 0, `${name}: chart #${id} has no points`);
          for (const [k, v] of Object.entries(c.numbers))
            assert.ok(Number.isFinite(v), `${name}: chart #${id} shows ${k} = ${v}`);
        }
        const bad = shown.text.match(/.{0,40}\b(NaN|Infinity)\b.{0,40}/);
        assert.equal(bad, null, `${name}: the page shows a non-finite number: "${bad?.[0]}"`);
        if (name === 'word2vec') await loadGlove(page);
      } finally {
        await page.close();
      }
    },
  );
}
