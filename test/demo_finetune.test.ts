// The LoRA fine-tuning page (demos/finetune/), driven headlessly on the committed tiny float16
// GPT-2 folder test/fixtures/hf_gpt2_f16 through its file input: a folder missing its weights is
// refused in the page naming the file; the folder (config.json renamed "config (1).json", as a
// browser names a repeated download) opens, takes the PEFT fixture adapter on top and drops it
// again, and generates; four LoRA steps on the page's sample
// text draw the loss chart with finite numbers, show the samples before and after, and offer the
// adapter (PEFT's adapter_config.json with peft_type LORA) and the merged model as downloads;
// and no console or page error happens on the way.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, startBrowserEnv, openPage, type BrowserEnv } from '../scripts/lib/browser';

const FIXTURE = path.join(ROOT, 'test/fixtures/hf_gpt2_f16');
const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

let envPromise: Promise<BrowserEnv> | null = null;
after(async () => {
  if (envPromise) await (await envPromise).close();
});

/** Wait until element #id's text matches `re` (and `not` does not match it). */
async function waitText(page: Page, id: string, re: RegExp, not?: RegExp): Promise<void> {
  await page.waitForFunction(
    ([id, src, notSrc]) => {
      const t = document.getElementById(id!)?.textContent ?? '';
      return new RegExp(src!).test(t) && !(notSrc && new RegExp(notSrc).test(t));
    },
    [id, re.source, not?.source ?? ''],
    { timeout: 30_000 },
  );
}

const file = (name: string, as = name): { name: string; mimeType: string; buffer: Buffer } => ({
  name: as,
  mimeType: 'application/octet-stream',
  buffer: readFileSync(path.join(FIXTURE, name)),
});

/** Open the fixture folder (after a refused one), put the PEFT fixture adapter on and off, generate. */
async function openAndGenerate(page: Page): Promise<void> {
  // a folder without its weights: the loader's InputError, shown in the page
  await page.setInputFiles('#model-files', [file('config.json'), file('vocab.json'), file('merges.txt')]);
  await page.waitForSelector('#load-info.error', { timeout: 20_000 });
  assert.match((await page.textContent('#load-info')) ?? '', /model\.safetensors/);

  const files = ['model.safetensors', 'vocab.json', 'merges.txt', 'expected.json'].map((n) => file(n));
  await page.setInputFiles('#model-files', [file('config.json', 'config (1).json'), ...files]);
  await waitText(page, 'load-info', /2 layers × 16 wide/);
  assert.equal(await page.textContent('#block'), '32');

  // a PEFT adapter on top (the one PEFT itself saved for this fixture), then without it again
  const peft = path.join(ROOT, 'test/fixtures/peft_gpt2_lora');
  await page.setInputFiles(
    '#adapter-files',
    ['adapter_config.json', 'adapter_model.safetensors'].map((n) => path.join(peft, n)),
  );
  await waitText(page, 'load-info', /LoRA adapter r 4, α 12/);
  await page.click('#no-adapter');
  await waitText(page, 'load-info', /built in/, /LoRA/);

  await page.fill('#gen-tokens', '8');
  await page.click('#generate');
  await waitText(page, 'status', /tokens in/);
  assert.notEqual(await page.textContent('#output'), await page.inputValue('#prompt'), 'no generated text');
}

/** After a 4-step run: the chart, the samples side by side, the adapter's download links. */
async function checkRun(page: Page): Promise<void> {
  const shown = await page.evaluate(async () => {
    const demo = window as unknown as {
      __demo: { charts: Record<string, { points: number; numbers: Record<string, number> }> };
    };
    const links = Array.from(document.querySelectorAll<HTMLAnchorElement>('#links a'));
    const config = links.find((a) => a.dataset.file === 'adapter_config.json');
    return {
      chart: demo.__demo.charts['loss']!,
      before: document.getElementById('before')!.textContent!,
      after: document.getElementById('after')!.textContent!,
      afterTitle: document.getElementById('after-title')!.textContent!,
      files: links.map((a) => a.dataset.file!),
      adapterConfig: config ? await (await fetch(config.href)).text() : '',
      status: document.getElementById('status')!.textContent!,
    };
  });
  assert.ok(shown.chart.points > 0, 'the loss chart has no points');
  for (const [k, v] of Object.entries(shown.chart.numbers))
    assert.ok(Number.isFinite(v), `loss chart shows ${k} = ${v}`);
  assert.equal(shown.afterTitle, 'after 4 LoRA steps', shown.status);
  const prompt = await page.inputValue('#prompt');
  for (const s of [shown.before, shown.after])
    assert.ok(s.startsWith(prompt) && s.length > prompt.length, `sample "${s}"`);
  for (const f of ['adapter_config.json', 'adapter_model.safetensors'])
    assert.ok(shown.files.includes(f), `no ${f} among ${shown.files.join(', ')}`);
  const cfg = JSON.parse(shown.adapterConfig) as Record<string, unknown>;
  assert.equal(cfg['peft_type'], 'LORA');
  assert.deepEqual(cfg['target_modules'], ['c_attn']);
}

test(
  'demo finetune: open a GPT-2 folder, generate, LoRA-fine-tune 4 steps, download the adapter',
  { timeout: 150_000 },
  async (t) => {
    const { browser, url } = await (envPromise ??= startBrowserEnv());
    const { page, log } = await openPage(browser, `${url}/demos/finetune/`, process.env.SHADERGRAD_DEBUG !== undefined);
    try {
      await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 60_000 });
      const error = await page.evaluate(() => document.body.dataset.error);
      if (error !== undefined && noGpu) return t.skip(`no WebGPU and SHADERGRAD_NO_GPU=1 (${error})`);
      assert.equal(error, undefined);
      await openAndGenerate(page);

      await page.fill('#steps', '4');
      await page.fill('#batch', '2');
      await page.click('#train');
      await page.waitForSelector('#download-adapter:not([disabled])', { timeout: 90_000 });
      await checkRun(page);

      // the merged model: a plain GPT folder, offered as downloads too (each one a download event)
      const download = page.waitForEvent('download', { timeout: 30_000 });
      await page.click('#download-merged');
      await page.waitForSelector('#links [data-kind="merged"] a[data-file="model.safetensors"]', { timeout: 30_000 });
      assert.match((await download).suggestedFilename(), /^merged-/);
      assert.deepEqual(log.errors, [], `page errors:\n${log.errors.join('\n')}`);
    } finally {
      await page.close();
    }
  },
);
