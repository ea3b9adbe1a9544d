// Node side of every browser run (tests, benchmark, CLI): start Vite on localhost, find and
// launch Chromium with WebGPU enabled, open a page and collect its errors. Chromium is found as
// CHROMIUM_PATH, else `chromium` / `chromium-browser` / `google-chrome` on PATH, else the
// browser Playwright installed (`npx playwright install chromium`).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function findChromium(): string {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH=${env} does not exist`);
    return env;
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (p) return p;
    } catch {
      /* not on PATH */
    }
  }
  try {
    const p = chromium.executablePath();
    if (p && existsSync(p)) return p;
  } catch {
    /* no Playwright browser */
  }
  throw new Error(
    'No Chromium found. Install one: `apt-get install chromium` (Debian), set CHROMIUM_PATH to a Chrome/Chromium binary, ' +
      'or run `npx playwright install chromium` where the internet is reachable.',
  );
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}

export async function startVite(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    root: ROOT,
    configFile: path.join(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    server: { host: 'localhost', port: 0, strictPort: false, hmr: false },
    clearScreen: false,
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!url) throw new Error('Vite did not report a local URL');
  return { server, url };
}

export interface PageErrors {
  /** Console errors, page errors and failed requests seen so far. */
  errors: string[];
}

/** Open `url` in a new page and record everything that would hide a silent failure. */
export async function openPage(browser: Browser, url: string, echo = false): Promise<{ page: Page; log: PageErrors }> {
  const page = await browser.newPage();
  const log: PageErrors = { errors: [] };
  page.on('console', (m) => {
    // A failed load is reported with its URL by the 'response' handler below.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) log.errors.push(`console.error: ${m.text()}`);
    if (echo) console.log(`[page] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => log.errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? ''})`));
  page.on('response', (r) => {
    if (r.status() >= 400) log.errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('crash', () => log.errors.push('page crashed'));
  await page.goto(url);
  return { page, log };
}

export interface BrowserEnv {
  browser: Browser;
  url: string;
  close(): Promise<void>;
}

export async function startBrowserEnv(): Promise<BrowserEnv> {
  const { server, url } = await startVite();
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    browser,
    url,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}
