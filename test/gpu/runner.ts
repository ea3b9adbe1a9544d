// The GPU test page. `window.__sg.list(file?)` imports the test files and lists their tests;
// `window.__sg.run(file, name)` runs one and returns {ok, error?, ms}. Opening the page by hand
// (`npm run dev`, then /test/gpu/) runs every test and prints the results.
import { createContext, type GpuContext } from '../../src/gpu/device';
import { registry, type RegisteredTest } from '../harness/gpu';

const files = import.meta.glob('./*.gpu.ts');
const loaded = new Map<string, RegisteredTest[]>();
let ctxPromise: Promise<GpuContext> | null = null;

async function load(file: string): Promise<RegisteredTest[]> {
  const hit = loaded.get(file);
  if (hit) return hit;
  const imp = files[file];
  if (!imp) throw new Error(`no GPU test file ${file}`);
  const before = registry.length;
  await imp();
  const tests = registry.slice(before);
  loaded.set(file, tests);
  return tests;
}

async function context(): Promise<GpuContext> {
  ctxPromise ??= createContext();
  return ctxPromise;
}

async function probe(): Promise<{ ok: boolean; adapter?: string; error?: string }> {
  try {
    const ctx = await context();
    return { ok: true, adapter: ctx.adapter.name };
  } catch (e) {
    ctxPromise = null;
    return { ok: false, error: (e as Error).message };
  }
}

async function list(): Promise<{ file: string; tests: string[] }[]> {
  const out = [];
  for (const f of Object.keys(files).sort()) out.push({ file: f, tests: (await load(f)).map((t) => t.name) });
  return out;
}

async function run(file: string, name: string): Promise<{ ok: boolean; error?: string; ms: number }> {
  const t0 = performance.now();
  const t = (await load(file)).find((x) => x.name === name);
  if (!t) return { ok: false, error: `no test "${name}" in ${file}`, ms: 0 };
  const ctx = await context();
  ctx.takeErrors();
  try {
    await t.fn({ ctx });
    await ctx.device.queue.onSubmittedWorkDone();
    const errs = ctx.takeErrors();
    if (errs.length) throw new Error(`WebGPU errors during the test:\n${errs.map((e) => e.message).join('\n')}`);
    if (ctx.lost) throw new Error(`device lost: ${ctx.lost.message}`);
    return { ok: true, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error;
    return { ok: false, error: `${err.name}: ${err.message}\n${err.stack ?? ''}`, ms: performance.now() - t0 };
  }
}

declare global {
  interface Window {
    __sg: { probe: typeof probe; list: typeof list; run: typeof run };
  }
}
window.__sg = { probe, list, run };

if (!navigator.webdriver) {
  void (async () => {
    const out = document.getElementById('out')!;
    const p = await probe();
    if (!p.ok) {
      out.textContent = p.error ?? 'no GPU';
      return;
    }
    out.textContent = `adapter: ${p.adapter}\n`;
    for (const f of await list()) {
      for (const name of f.tests) {
        const r = await run(f.file, name);
        out.textContent += `${r.ok ? 'ok  ' : 'FAIL'} ${f.file} › ${name} (${r.ms.toFixed(0)} ms)${r.ok ? '' : `\n${r.error}`}\n`;
      }
    }
  })();
}
