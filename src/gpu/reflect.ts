// The one module that imports wgsl_reflect. It turns a WGSL entry point into the facts the
// host needs: its bindings (group 0, sorted by binding number, with access), the layout of its
// uniform struct (field offsets and types), its workgroup size under given override constants,
// and the override names it uses (walking helper calls, which wgsl_reflect does not do).
import { WgslReflect, ResourceType, type FunctionInfo, type MemberInfo } from 'wgsl_reflect/wgsl_reflect.module.js';

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

export interface ReflectedBinding {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** WGSL element type of a storage array (f32, i32, u32, vec4 …), or the struct name for uniforms. */
  type: string;
}

export type ScalarType = 'f32' | 'i32' | 'u32';

export interface UniformField {
  name: string;
  offset: number;
  /** Scalar type of each component. */
  scalar: ScalarType;
  /** Number of scalar components (1 for scalars, 4 for vec4, 4·count for array<vec4, count>). */
  components: number;
}

export interface UniformLayout {
  binding: string;
  size: number;
  fields: Map<string, UniformField>;
}

export interface ReflectedEntry {
  entry: string;
  bindings: ReflectedBinding[];
  uniform: UniformLayout | null;
  /** The tokens of @workgroup_size as written (literals or override / const names). */
  workgroupTokens: string[];
  /** wgsl_reflect's resolution of the workgroup size with override defaults. */
  workgroupDefault: [number, number, number];
  overrides: Set<string>;
  /** Every override declared in the module, with its WGSL type. */
  declaredOverrides: Map<string, string>;
}

function scalarOf(typeName: string, format: string | undefined): ScalarType {
  const t = (format ?? typeName).replace(/<.*>/, '');
  if (t === 'f32' || t === 'i32' || t === 'u32') return t;
  throw new Error(
    `uniform field type ${typeName}<${format ?? ''}> is not supported: use f32, i32, u32, vec4 of them, or array<vec4<…>, N>`,
  );
}

function uniformField(m: MemberInfo): UniformField {
  const tn = m.type.name;
  if (m.isArray) {
    const el = m.format;
    if (!el || !el.name.startsWith('vec4')) throw new Error(`uniform array ${m.name} must be array<vec4<…>, N>`);
    const elFormat = (el as unknown as { format?: { name: string } }).format?.name;
    return { name: m.name, offset: m.offset, scalar: scalarOf(el.name, elFormat), components: 4 * m.count };
  }
  if (tn === 'f32' || tn === 'i32' || tn === 'u32')
    return { name: m.name, offset: m.offset, scalar: tn, components: 1 };
  const vec = /^vec([234])(?:<(\w+)>|([fiu]))?$/.exec(tn);
  if (vec) {
    const fmt = m.format?.name ?? vec[2] ?? (vec[3] ? `${vec[3]}32` : undefined);
    return { name: m.name, offset: m.offset, scalar: scalarOf(tn, fmt), components: Number(vec[1]) };
  }
  throw new Error(`uniform field ${m.name}: type ${tn} is not supported`);
}

function collectOverrides(fn: FunctionInfo, out: Set<string>, seen = new Set<FunctionInfo>()): void {
  if (seen.has(fn)) return;
  seen.add(fn);
  for (const o of fn.overrides) out.add(o.name);
  for (const c of fn.calls) collectOverrides(c, out, seen);
}

const cache = new Map<string, WgslReflect>();

function reflectModule(code: string): WgslReflect {
  let r = cache.get(code);
  if (!r) {
    r = new WgslReflect(code);
    cache.set(code, r);
  }
  return r;
}

/** Reflect one compute entry point of a WGSL module. */
export function reflectEntry(code: string, entry: string): ReflectedEntry {
  const r = reflectModule(code);
  const fn = r.entry.compute.find((f) => f.name === entry);
  if (!fn) {
    const have = r.entry.compute.map((f) => f.name).join(', ') || 'none';
    throw new Error(`no compute entry point "${entry}" (entry points: ${have})`);
  }
  const bindings: ReflectedBinding[] = [];
  let uniform: UniformLayout | null = null;
  for (const v of fn.resources) {
    if (v.resourceType === ResourceType.Uniform) {
      if (uniform)
        throw new Error(`entry ${entry} uses two uniform buffers (${uniform.binding}, ${v.name}); use one struct`);
      const fields = new Map<string, UniformField>();
      for (const m of v.members ?? []) fields.set(m.name, uniformField(m));
      uniform = { binding: v.name, size: Math.ceil(v.size / 16) * 16, fields };
      bindings.push({ name: v.name, group: v.group, binding: v.binding, kind: 'uniform', type: v.type.name });
    } else if (v.resourceType === ResourceType.Storage) {
      const kind: BindingKind = v.access === 'read' ? 'read-only-storage' : 'storage';
      bindings.push({ name: v.name, group: v.group, binding: v.binding, kind, type: v.format?.name ?? v.type.name });
    } else {
      throw new Error(`entry ${entry}: binding ${v.name} is a texture or sampler; compute kernels use buffers only`);
    }
  }
  for (const b of bindings) {
    if (b.group !== 0)
      throw new Error(`entry ${entry}: binding ${b.name} is in group ${b.group}; kernels use group 0 only`);
  }
  bindings.sort((a, b) => a.binding - b.binding);
  const wgAttr = fn.attributes?.find((a) => a.name === 'workgroup_size');
  const raw = wgAttr?.value;
  const tokens = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
  const overrides = new Set<string>();
  collectOverrides(fn, overrides);
  const declaredOverrides = new Map<string, string>();
  for (const o of r.overrides) declaredOverrides.set(o.name, o.type?.name ?? 'unknown');
  const wg = fn.workgroupSize ?? [1, 1, 1];
  return {
    entry,
    bindings,
    uniform,
    workgroupTokens: tokens,
    workgroupDefault: [wg[0], wg[1], wg[2]],
    overrides,
    declaredOverrides,
  };
}

/** The workgroup size under `constants`: override names in @workgroup_size take their given values. */
export function resolveWorkgroupSize(
  e: ReflectedEntry,
  constants: Record<string, number | boolean>,
): [number, number, number] {
  const out: [number, number, number] = [...e.workgroupDefault];
  e.workgroupTokens.forEach((t, i) => {
    if (i < 3 && t in constants) out[i] = Number(constants[t]);
  });
  return out;
}

/** Pack named uniform values into the struct's bytes; unknown or missing names throw. */
export function packUniforms(
  layout: UniformLayout,
  values: Record<string, number | readonly number[]>,
  who: string,
): ArrayBuffer {
  const buf = new ArrayBuffer(layout.size);
  const dv = new DataView(buf);
  for (const name of Object.keys(values)) {
    if (!layout.fields.has(name)) {
      throw new Error(
        `${who}: uniform field "${name}" does not exist in ${layout.binding} (fields: ${[...layout.fields.keys()].join(', ')})`,
      );
    }
  }
  for (const f of layout.fields.values()) {
    if (f.name.startsWith('_')) continue; // padding fields
    const v = values[f.name];
    if (v === undefined) throw new Error(`${who}: uniform field "${f.name}" of ${layout.binding} was not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length > f.components)
      throw new Error(`${who}: uniform field "${f.name}" takes ${f.components} values, got ${arr.length}`);
    arr.forEach((x, i) => {
      const off = f.offset + 4 * i;
      if (f.scalar === 'f32') dv.setFloat32(off, x, true);
      else if (f.scalar === 'i32') dv.setInt32(off, x, true);
      else {
        if (x < 0 || !Number.isInteger(x)) throw new Error(`${who}: uniform field "${f.name}" is u32 but got ${x}`);
        dv.setUint32(off, x, true);
      }
    });
  }
  return buf;
}
