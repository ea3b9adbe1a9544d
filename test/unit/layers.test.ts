// Imports point down (STYLE.md habit 17, DESIGN.md "Layers"). Every import in src/, demos/ and
// scripts/ (static, `export … from`, `import type` and dynamic `import()`) is resolved to a file
// and checked: inside src/ a folder may import only its own folder or a lower layer; pages and
// scripts reach the library only through its public entry points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Layer rank of each folder under src/: an import must go to a lower rank or the same folder. */
const RANK: Record<string, number> = {
  util: 0,
  reference: 1,
  text: 1,
  gpu: 2,
  ops: 3,
  graph: 4,
  io: 5,
  eval: 5,
  nn: 6,
  optim: 6,
  models: 7,
};

/** What pages and scripts may import from src/: the public API (bench cases: also the ops entry). */
const PUBLIC = ['src/index.ts'];
const BENCH_EXTRA = ['src/ops/index.ts'];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const SPEC =
  /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Relative import specifiers of a file (query strings like `?raw` dropped). */
export function importsOf(code: string): string[] {
  const specs: string[] = [];
  for (const m of code.matchAll(SPEC)) {
    const s = m[1] ?? m[2] ?? m[3];
    if (s !== undefined && s.startsWith('.')) specs.push(s.replace(/\?.*$/, ''));
  }
  return specs;
}

function resolveSpec(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return base; // unresolved: reported by the test below
}

const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');

function srcLayer(relPath: string): string | null {
  const m = /^src\/([a-z_]+)\//.exec(relPath);
  return m ? m[1]! : null;
}

interface Edge {
  from: string;
  to: string;
}

function edges(): Edge[] {
  const files = ['src', 'demos', 'scripts'].flatMap((d) => walk(join(ROOT, d)));
  const out: Edge[] = [];
  for (const f of files) {
    for (const s of importsOf(readFileSync(f, 'utf8'))) out.push({ from: rel(f), to: rel(resolveSpec(f, s)) });
  }
  return out;
}

/** Why an import breaks the layering, or null when it is allowed. */
export function violation({ from, to }: Edge): string | null {
  if (from.startsWith('src/')) {
    if (!to.startsWith('src/') && !to.startsWith('shaders/')) return 'src/ imports from outside the library';
    if (from === 'src/index.ts') return null;
    if (to === 'src/index.ts') return 'the library imports its own public index';
    const a = srcLayer(from);
    const b = srcLayer(to);
    if (a === null || b === null) return null;
    if (!(a in RANK)) return `src/${a}/ has no layer (add it to RANK in test/unit/layers.test.ts)`;
    if (!(b in RANK)) return `src/${b}/ has no layer (add it to RANK in test/unit/layers.test.ts)`;
    if (a === b || RANK[b]! < RANK[a]!) return null;
    return `src/${a}/ (layer ${RANK[a]}) imports src/${b}/ (layer ${RANK[b]}): imports point down`;
  }
  if (!to.startsWith('src/')) return null;
  const allowed = from.startsWith('demos/bench/') ? [...PUBLIC, ...BENCH_EXTRA] : PUBLIC;
  if (allowed.includes(to)) return null;
  return `deep import: pages and scripts use ${allowed.join(' or ')}`;
}

test('every relative import resolves to a file', () => {
  const missing = edges().filter((e) => !existsSync(join(ROOT, e.to)));
  assert.deepEqual(missing, [], `unresolved imports:\n${missing.map((e) => `${e.from} → ${e.to}`).join('\n')}`);
});

test('imports point down: src layers, and pages and scripts only through the public API', () => {
  const bad = edges()
    .map((e) => ({ e, why: violation(e) }))
    .filter((x) => x.why !== null);
  assert.equal(bad.length, 0, `layer violations:\n${bad.map((x) => `${x.e.from} → ${x.e.to}: ${x.why}`).join('\n')}`);
});

test('the layer check itself rejects what it should', () => {
  assert.match(violation({ from: 'src/ops/matmul.ts', to: 'src/graph/graph.ts' }) ?? '', /imports point down/);
  assert.match(violation({ from: 'src/util/shape.ts', to: 'src/gpu/device.ts' }) ?? '', /imports point down/);
  assert.match(violation({ from: 'src/io/checkpoint.ts', to: 'src/models/gpt/model.ts' }) ?? '', /imports point down/);
  assert.match(violation({ from: 'demos/gpt/main.ts', to: 'src/models/gpt/model.ts' }) ?? '', /deep import/);
  assert.match(violation({ from: 'scripts/train.ts', to: 'src/ops/index.ts' }) ?? '', /deep import/);
  assert.match(violation({ from: 'src/ops/matmul.ts', to: 'src/index.ts' }) ?? '', /public index/);
  assert.match(violation({ from: 'src/gpu/device.ts', to: 'test/harness/gpu.ts' }) ?? '', /outside the library/);
  assert.equal(violation({ from: 'src/graph/autograd.ts', to: 'src/ops/index.ts' }), null);
  assert.equal(violation({ from: 'src/models/gpt/train.ts', to: 'src/models/gpt/model.ts' }), null);
  assert.equal(violation({ from: 'demos/bench/cases/matmul.ts', to: 'src/ops/index.ts' }), null);
  assert.equal(violation({ from: 'demos/gpt/main.ts', to: 'src/index.ts' }), null);
  assert.equal(violation({ from: 'demos/gpt/main.ts', to: 'demos/common/plot.ts' }), null);
});

test('import specifiers are found in every form', () => {
  const code = [
    "import { a } from './a';",
    "import type { B } from '../b';",
    "export { c } from './c';",
    "export * as d from './d/index';",
    "const e = await import('./e');",
    "import './f.css';",
    "import g from './g.wgsl?raw';",
    "import { h } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importsOf(code), ['./a', '../b', './c', './d/index', './e', './f.css', './g.wgsl']);
});
