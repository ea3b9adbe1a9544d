// Op codes that the host passes to a kernel as a number (an override constant) have a named
// WGSL const on the kernel side; this ties each TypeScript code table to those consts, both ways:
// every table entry has a const PREFIX_NAME with the same value, every PREFIX_* const is a table
// entry, each is a case of the kernel's switch, and no switch on the op uses a bare number.
// The WGSL is read as the host assembles it (shaders/lib/ includes prepended).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadShaderSources } from '../harness/shader_sources';
import { registerShaderSources, shaderSource } from '../../src/gpu/shaders';
import { BINARY_ID, UNARY_ID } from '../../src/ops/elementwise';

interface Tie {
  /** The TypeScript table and where it lives. */
  table: Record<string, number>;
  tableName: string;
  /** shaders/<shader>.wgsl, whose consts PREFIX_<KEY> mirror the table. */
  shader: string;
  prefix: string;
}

const TIES: Tie[] = [
  { table: UNARY_ID, tableName: 'UNARY_ID (src/ops/elementwise.ts)', shader: 'elementwise', prefix: 'UNARY' },
  { table: BINARY_ID, tableName: 'BINARY_ID (src/ops/elementwise.ts)', shader: 'elementwise', prefix: 'BINARY' },
];

/** Module-scope `const NAME: u32 = Nu;` declarations of a WGSL module. */
function u32Consts(code: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of code.matchAll(/^const\s+(\w+)\s*:\s*u32\s*=\s*(\d+)u\s*;/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

registerShaderSources(loadShaderSources());

for (const tie of TIES) {
  test(`${tie.tableName} matches the ${tie.prefix}_* consts of shaders/${tie.shader}.wgsl`, () => {
    const code = shaderSource(tie.shader).code;
    const consts = u32Consts(code);
    const want = new Map(Object.entries(tie.table).map(([k, v]) => [`${tie.prefix}_${k.toUpperCase()}`, v]));
    const have = new Map([...consts].filter(([name]) => name.startsWith(`${tie.prefix}_`)));
    for (const [name, v] of want)
      assert.equal(
        have.get(name),
        v,
        `${tie.tableName} gives ${name} = ${v}; shaders/${tie.shader}.wgsl has ${have.has(name) ? `${have.get(name)}u` : 'no such const'}`,
      );
    for (const [name, v] of have)
      assert.ok(want.has(name), `shaders/${tie.shader}.wgsl declares ${name} = ${v}u, which ${tie.tableName} lacks`);
    assert.equal(new Set(want.values()).size, want.size, `${tie.tableName} has repeated codes`);
    for (const name of want.keys())
      assert.match(
        code,
        new RegExp(`case ${name}\\s*[:,]`),
        `${name} is not a case of a switch in shaders/${tie.shader}.wgsl`,
      );
  });
}

test('switches on an op code use the named consts, not bare numbers', () => {
  for (const shader of new Set(TIES.map((t) => t.shader))) {
    const bare = shaderSource(shader).code.match(/case\s+\d+u?\s*[:,]/g);
    assert.equal(bare, null, `shaders/${shader}.wgsl has numeric case selectors: ${bare?.join(' ')}`);
  }
});
