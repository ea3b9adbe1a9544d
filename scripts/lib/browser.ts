// Node side of every browser run (tests, benchmark, CLI): start Vite on localhost, find and
// launch Chromium with WebGPU enabled, open a page and collect its errors. Which Chromium is
// decided here and nowhere else (resolveBrowser): SHADERGRAD_BROWSER=auto (the default) takes
// CHROMIUM_PATH, else a system Chrome/Chromium, else the browser npm bundled
// (scripts/lib/bundled_chromium.ts); =system and =bundled force one kind.
import { accessSync, constants, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { bundledChromium, BUNDLED_PACKAGE } from './bundled_chromium';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type BrowserChoice = 'auto' | 'system' | 'bundled';

export interface ResolvedBrowser {
  /** Where it came from: CHROMIUM_PATH, a system install, or the npm bundle. */
  source: 'CHROMIUM_PATH' | 'system' | 'bundled';
  executablePath: string;
  /** Extra environment for the browser process (the bundle's libraries and fonts). */
  env: Record<string, string>;
  /** For the bundle: the package and its version, e.g. "@sparticuz/chromium 147.0.0". */
  package?: string;
}

/** Browsers looked for on PATH, in this order; then Debian's and Playwright's fixed places. */
export const SYSTEM_BROWSERS = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'chromium-headless-shell',
] as const;
const SYSTEM_PATHS = ['/usr/lib/chromium/chromium-headless-shell', '/usr/lib/chromium/chromium'];

/** SHADERGRAD_BROWSER's value (pass process.env.SHADERGRAD_BROWSER): unset or blank is auto. */
export function browserChoice(value: string | undefined): BrowserChoice {
  const v = (value ?? '').trim() || 'auto';
  if (v === 'auto' || v === 'system' || v === 'bundled') return v;
  throw new Error(`SHADERGRAD_BROWSER must be auto, system or bundled, got "${v}"`);
}

function isExecutableFile(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` that is a file in one of PATH's folders (what `which` does). */
export function onPath(names: readonly string[], pathVar: string): string | null {
  const dirs = pathVar.split(path.delimiter).filter(Boolean);
  for (const name of names)
    for (const dir of dirs) if (isExecutableFile(path.join(dir, name))) return path.join(dir, name);
  return null;
}

/** Fixed places of system browsers: Debian's folder, then the one Playwright installed, if any. */
function defaultSystemPaths(): string[] {
  let playwright = '';
  try {
    playwright = chromium.executablePath();
  } catch {
    /* no Playwright browser */
  }
  return [...SYSTEM_PATHS, ...(playwright ? [playwright] : [])];
}

/** A system Chrome/Chromium: on PATH, else the first of `fixed` that is there. */
export function findSystemChromium(
  pathVar = process.env.PATH ?? '',
  fixed: readonly string[] = defaultSystemPaths(),
): string | null {
  return onPath(SYSTEM_BROWSERS, pathVar) ?? fixed.find(isExecutableFile) ?? null;
}

const INSTALL_HINT =
  `install Chrome or Chromium (Debian: \`apt-get install chromium\`) or set CHROMIUM_PATH to its binary; ` +
  `on linux-x64 \`npm ci\` also brings one (${BUNDLED_PACKAGE})`;

export interface ResolveEnv {
  /** CHROMIUM_PATH and PATH are read from here (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Fixed places of system browsers (default Debian's and Playwright's; tests pass []). */
  systemPaths?: readonly string[];
}

/** The browser this run uses (see the file comment for the order). */
export async function resolveBrowser(
  choice: BrowserChoice = browserChoice(process.env.SHADERGRAD_BROWSER),
  o: ResolveEnv = {},
): Promise<ResolvedBrowser> {
  const env = o.env ?? process.env;
  const envPath = env.CHROMIUM_PATH;
  if (choice !== 'bundled' && envPath) {
    if (!isExecutableFile(envPath)) throw new Error(`CHROMIUM_PATH=${envPath} is not an executable file`);
    return { source: 'CHROMIUM_PATH', executablePath: envPath, env: {} };
  }
  if (choice !== 'bundled') {
    const p = findSystemChromium(env.PATH ?? '', o.systemPaths ?? defaultSystemPaths());
    if (p) return { source: 'system', executablePath: p, env: {} };
    if (choice === 'system')
      throw new Error(
        `SHADERGRAD_BROWSER=system but no system Chromium was found (looked for ${SYSTEM_BROWSERS.join(', ')} on PATH): ${INSTALL_HINT}`,
      );
  }
  try {
    const b = await bundledChromium(ROOT);
    return {
      source: 'bundled',
      executablePath: b.executablePath,
      env: b.env,
      package: `${BUNDLED_PACKAGE} ${b.version}`,
    };
  } catch (e) {
    throw new Error(`No Chromium found: ${(e as Error).message}. To fix it, ${INSTALL_HINT}.`);
  }
}

/** One line for logs and result files: "Chromium 147.0.7727.15 (bundled @sparticuz/chromium 147.0.0)". */
export function describeBrowser(b: ResolvedBrowser, version: string): string {
  const from =
    b.source === 'bundled'
      ? `bundled ${b.package}`
      : b.source === 'CHROMIUM_PATH'
        ? `CHROMIUM_PATH ${b.executablePath}`
        : `system ${b.executablePath}`;
  return `Chromium ${version} (${from})`;
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

export interface LaunchedBrowser {
  browser: Browser;
  /** e.g. "Chromium 147.0.7727.15 (bundled @sparticuz/chromium 147.0.0)"; printed at launch. */
  description: string;
}

export async function launchBrowser(
  choice: BrowserChoice = browserChoice(process.env.SHADERGRAD_BROWSER),
): Promise<LaunchedBrowser> {
  const b = await resolveBrowser(choice);
  const env = Object.keys(b.env).length ? { ...(process.env as Record<string, string>), ...b.env } : undefined;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: b.executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      ...(env ? { env } : {}),
    });
  } catch (e) {
    const first = (e as Error).message.split('\n').find((l) => l.trim()) ?? String(e);
    throw new Error(`could not start ${b.executablePath} (${b.source}): ${first}`);
  }
  const description = describeBrowser(b, browser.version());
  console.error(`browser: ${description}`);
  return { browser, description };
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
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      log.errors.push(`console.error: ${m.text()}`);
    if (echo) console.log(`[page] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => log.errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? ''})`));
  page.on('response', (r) => {
    if (r.status() >= 400) log.errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('crash', () => log.errors.push('page crashed'));
  await page.goto(withTuning(url, process.env.SHADERGRAD_TUNING));
  return { page, log };
}

/**
 * The page URL with SHADERGRAD_TUNING passed on as its `?tuning=` query (src/gpu/tuning.ts), so
 * `SHADERGRAD_TUNING=matmul.variant=register npm run train -- gpt` tunes the page that trains. A
 * URL that already names a tuning keeps it.
 */
export function withTuning(url: string, tuning: string | undefined): string {
  if (!tuning) return url;
  const u = new URL(url);
  if (!u.searchParams.has('tuning')) u.searchParams.set('tuning', tuning);
  return u.toString();
}

export interface BrowserEnv {
  browser: Browser;
  /** Which browser and version (see launchBrowser); result files record it beside the adapter. */
  browserDescription: string;
  url: string;
  close(): Promise<void>;
}

export async function startBrowserEnv(choice?: BrowserChoice): Promise<BrowserEnv> {
  const { server, url } = await startVite();
  let launched: LaunchedBrowser;
  try {
    launched = await launchBrowser(choice);
  } catch (e) {
    await server.close();
    throw e;
  }
  const { browser, description } = launched;
  return {
    browser,
    browserDescription: description,
    url,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}
