// The WGSL sources read from disk for Node-side tests (Vite's import.meta.glob does this in a
// page): every shaders/**/*.wgsl by its name, the path under shaders/ without .wgsl.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const SHADERS_DIR = join(import.meta.dirname, '../../shaders');

export function loadShaderSources(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.wgsl'))
        out[
          relative(SHADERS_DIR, p)
            .replace(/\\/g, '/')
            .replace(/\.wgsl$/, '')
        ] = readFileSync(p, 'utf8');
    }
  };
  walk(SHADERS_DIR);
  return out;
}
