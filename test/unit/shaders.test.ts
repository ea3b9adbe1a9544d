// The WGSL sources as the host assembles them, checked in Node: every kernel file assembles with
// its `//!include`s (shaders/lib/ included), wgsl_reflect parses it and reflects every compute
// entry point; library files have no entry points; and no helper is defined twice: a function
// or const with the same text in two files belongs in shaders/lib/ (habit: one copy of a helper).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadShaderSources } from '../harness/shader_sources';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { registerShaderSources, shaderSource } from '../../src/gpu/shaders';
import { reflectEntry } from '../../src/gpu/reflect';

const sources = loadShaderSources();
const isLib = (name: string): boolean => name.startsWith('lib/') || name === 'random';

test('every kernel file assembles with its includes and every entry point reflects', () => {
  registerShaderSources(sources);
  const kernels = Object.keys(sources).filter((n) => !isLib(n));
  assert.ok(kernels.length >= 14, `only ${kernels.length} kernel files found`);
  for (const name of kernels) {
    const src = shaderSource(name);
    const r = new WgslReflect(src.code);
    assert.ok(r.entry.compute.length > 0, `${src.file} has no compute entry point`);
    for (const e of r.entry.compute)
      assert.doesNotThrow(() => reflectEntry(src.code, e.name), `${src.file} entry ${e.name}`);
  }
});

test('library files have no entry points and are used by some kernel', () => {
  registerShaderSources(sources);
  for (const name of Object.keys(sources).filter(isLib)) {
    assert.equal(
      new WgslReflect(shaderSource(name).code).entry.compute.length,
      0,
      `shaders/${name}.wgsl declares an entry point`,
    );
    const users = Object.keys(sources).filter((n) => n !== name && sources[n]!.includes(`//!include ${name}.wgsl`));
    assert.ok(users.length > 0, `shaders/${name}.wgsl is included by no file`);
  }
});

test('an include used twice, directly and through another library file, is prepended once', () => {
  registerShaderSources(sources);
  const code = shaderSource('elementwise').code; // includes lib/sigmoid directly and through lib/gelu
  assert.equal(code.split('fn sigmoid_pair(').length, 2);
  assert.ok(code.indexOf('fn sigmoid_pair(') < code.indexOf('fn gelu('), 'lib/sigmoid before lib/gelu');
});

/** Top-level `fn` definitions and `const` declarations of one file, whitespace-normalised. */
function definitions(code: string): { name: string; text: string }[] {
  const text = code.replace(/\/\/.*$/gm, '');
  const defs: { name: string; text: string }[] = [];
  for (const m of text.matchAll(/^const\s+(\w+)[^;]*;/gm)) defs.push({ name: m[1]!, text: m[0].replace(/\s+/g, ' ') });
  for (const m of text.matchAll(/^fn\s+(\w+)\s*\(/gm)) {
    let i = text.indexOf('{', m.index);
    let depth = 0;
    const start = m.index;
    for (; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) break;
    }
    defs.push({ name: m[1]!, text: text.slice(start, i + 1).replace(/\s+/g, ' ') });
  }
  return defs;
}

test('no helper is copied: a function or const with the same text lives in one file', () => {
  const where = new Map<string, string[]>();
  for (const [name, code] of Object.entries(sources)) {
    for (const d of definitions(code))
      where.set(d.text, [...(where.get(d.text) ?? []), `shaders/${name}.wgsl (${d.name})`]);
  }
  const copies = [...where.values()].filter((files) => files.length > 1);
  assert.deepEqual(
    copies,
    [],
    `helpers defined in more than one file (move them to shaders/lib/):\n${copies.map((f) => f.join(', ')).join('\n')}`,
  );
});

test('no kernel file redefines a name that a library file defines', () => {
  const lib = new Map<string, string>();
  for (const [name, code] of Object.entries(sources))
    if (isLib(name)) for (const d of definitions(code)) lib.set(d.name, name);
  for (const [name, code] of Object.entries(sources)) {
    if (isLib(name)) continue;
    for (const d of definitions(code)) {
      const owner = lib.get(d.name);
      assert.equal(
        owner,
        undefined,
        `shaders/${name}.wgsl defines ${d.name}, which shaders/${owner}.wgsl provides: include it instead`,
      );
    }
  }
});
