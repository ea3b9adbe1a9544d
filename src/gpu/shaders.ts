// WGSL sources from shaders/**/*.wgsl, loaded as text by Vite and named by their path under
// shaders/ without the extension (`softmax`, `lib/float`). A file may pull in another with a
// directive line `//!include lib/float.wgsl` (the path is always from shaders/, also inside
// shaders/lib/). Whole files are prepended, never spliced into a function body, each at most once
// however often it is included, directly or through other includes; the line map lets compile
// errors point at the right file and line.

export interface ShaderSegment {
  file: string;
  /** First line (1-based) of this segment in the assembled code. */
  start: number;
  lines: number;
}

export interface ShaderSource {
  name: string;
  file: string;
  code: string;
  segments: ShaderSegment[];
  /** FNV-1a hash of the assembled code. */
  hash: number;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

type RawMap = Record<string, string>;

let raw: RawMap | null = null;

function loadRaw(): RawMap {
  if (raw) return raw;
  let mods: Record<string, string>;
  try {
    // Vite rewrites this call at build time into the file contents.
    mods = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
      string,
      string
    >;
  } catch {
    throw new Error(
      'shader sources are loaded through Vite (import.meta.glob); in Node call registerShaderSources() first',
    );
  }
  raw = {};
  for (const [path, code] of Object.entries(mods))
    raw[path.replace(/^.*?\/shaders\//, '').replace(/\.wgsl$/, '')] = code;
  return raw;
}

/** For Node-side tools: supply the sources (path under shaders/ without .wgsl → text) instead of Vite's glob. */
export function registerShaderSources(map: RawMap): void {
  raw = { ...map };
  assembled.clear();
}

/** Add (or replace) one shader by name, e.g. a user's own kernel; it may include library files. */
export function registerShader(name: string, code: string): void {
  loadRaw()[name] = code;
  assembled.clear();
}

const INCLUDE = /^\/\/!include\s+"?([\w./-]+?)(?:\.wgsl)?"?\s*$/;
const assembled = new Map<string, ShaderSource>();

/** The assembled source of shaders/<name>.wgsl with its includes prepended. */
export function shaderSource(name: string): ShaderSource {
  const hit = assembled.get(name);
  if (hit) return hit;
  const all = loadRaw();
  const code = all[name];
  if (code === undefined) throw new Error(`no shader shaders/${name}.wgsl (have: ${Object.keys(all).join(', ')})`);
  const parts: { file: string; code: string }[] = [];
  const seen = new Set<string>();
  const add = (n: string, text: string): void => {
    seen.add(n);
    for (const line of text.split('\n')) {
      const m = INCLUDE.exec(line.trim());
      if (m && !seen.has(m[1]!)) {
        const inc = all[m[1]!];
        if (inc === undefined) throw new Error(`shaders/${n}.wgsl includes ${m[1]}.wgsl, which does not exist`);
        add(m[1]!, inc);
      }
    }
    parts.push({ file: `shaders/${n}.wgsl`, code: text.endsWith('\n') ? text : `${text}\n` });
  };
  add(name, code);
  const segments: ShaderSegment[] = [];
  let line = 1;
  for (const p of parts) {
    const lines = p.code.split('\n').length - 1;
    segments.push({ file: p.file, start: line, lines });
    line += lines;
  }
  const full = parts.map((p) => p.code).join('');
  const src: ShaderSource = { name, file: `shaders/${name}.wgsl`, code: full, segments, hash: fnv1a(full) };
  assembled.set(name, src);
  return src;
}

/** Map a line of assembled code (1-based, after `preludeLines` prepended lines) to file:line. */
export function mapLine(src: ShaderSource, line: number, preludeLines: number): { file: string; line: number } {
  const l = line - preludeLines;
  if (l < 1) return { file: '<prelude>', line };
  for (const s of src.segments)
    if (l >= s.start && l < s.start + s.lines) return { file: s.file, line: l - s.start + 1 };
  return { file: src.file, line: l };
}
