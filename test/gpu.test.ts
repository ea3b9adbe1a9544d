// Runs the GPU tests (test/gpu/*.gpu.ts) in headless Chromium through Playwright, one node:test
// test per GPU test. A test fails on an assertion, a WebGPU error, a console error or a page
// error. With no WebGPU adapter every GPU test fails with the reason, unless SHADERGRAD_NO_GPU=1
// says the run has no GPU: then they are reported as skipped, never as passed.
// SHADERGRAD_GPU_FILES=matmul,softmax limits the run to files whose names contain those words.
import { after, describe, test } from 'node:test';
import { startBrowserEnv, openPage } from '../scripts/lib/browser';

const env = await startBrowserEnv();
after(() => env.close());

const { page, log } = await openPage(
  env.browser,
  `${env.url}/test/gpu/index.html`,
  process.env.SHADERGRAD_DEBUG !== undefined,
);
await page.waitForFunction(() => window.__sg !== undefined, null, { timeout: 120_000 });
const probe = await page.evaluate(() => window.__sg.probe());
const noGpu = process.env.SHADERGRAD_NO_GPU === '1';
const filter = (process.env.SHADERGRAD_GPU_FILES ?? '').split(',').filter(Boolean);
const files = (await page.evaluate(() => window.__sg.list())).filter(
  (f) => !filter.length || filter.some((w) => f.file.includes(w)),
);
if (probe.ok) console.log(`# GPU tests on adapter: ${probe.adapter}; browser: ${env.browserDescription}`);
if (log.errors.length) throw new Error(`the GPU test page reported errors while loading:\n${log.errors.join('\n')}`);

for (const f of files) {
  describe(`gpu ${f.file.replace(/^\.\//, '').replace(/\.gpu\.ts$/, '')}`, () => {
    for (const name of f.tests) {
      if (!probe.ok && noGpu) {
        test(name, { skip: `no WebGPU adapter and SHADERGRAD_NO_GPU=1 (${probe.error})` }, () => {});
        continue;
      }
      test(name, { timeout: 600_000 }, async () => {
        if (!probe.ok)
          throw new Error(
            `no WebGPU: ${probe.error}\n(set SHADERGRAD_NO_GPU=1 to report GPU tests as skipped on a machine without one)`,
          );
        log.errors.length = 0;
        const r = await page.evaluate(([file, n]) => window.__sg.run(file, n), [f.file, name] as const);
        if (log.errors.length)
          throw new Error(`page errors during the test:\n${log.errors.join('\n')}${r.ok ? '' : `\n${r.error}`}`);
        if (!r.ok) throw new Error(r.error);
      });
    }
  });
}
