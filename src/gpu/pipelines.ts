// The pipeline cache, keyed by (shader, entry point, prelude, constants). Compilation is
// asynchronous and its errors come back as `shaders/file.wgsl:line:col: message` with the
// constants and the op that asked, instead of a bare validation error.
import { ShaderCompileError } from '../util/errors';
import { debug } from '../util/debug';
import type { GpuContext } from './device';
import { reflectEntry, resolveWorkgroupSize, type ReflectedEntry } from './reflect';
import { mapLine, shaderSource, type ShaderSource } from './shaders';

export type Constants = Record<string, number | boolean>;

export interface KernelKey {
  shader: string;
  entry: string;
  constants?: Constants;
  /** Lines prepended to the module (`enable f16;`, `alias T = f32;`), never spliced inside a body. */
  prelude?: string;
}

export interface CompiledKernel {
  key: string;
  label: string;
  source: ShaderSource;
  reflection: ReflectedEntry;
  constants: Constants;
  workgroupSize: [number, number, number];
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export function kernelKeyString(k: KernelKey): string {
  const c = Object.keys(k.constants ?? {})
    .sort()
    .map((n) => `${n}=${String(k.constants![n])}`)
    .join(',');
  return `${k.shader}.${k.entry}[${c}]${k.prelude ? `{${k.prelude}}` : ''}`;
}

function formatMessages(
  src: ShaderSource,
  prelude: string,
  msgs: readonly GPUCompilationMessage[],
  k: KernelKey,
  op: string,
): string {
  const preludeLines = prelude ? prelude.split('\n').length : 0;
  const lines = msgs.map((m) => {
    const at = mapLine(src, m.lineNum, preludeLines);
    return `${at.file}:${at.line}:${m.linePos}: ${m.type}: ${m.message}`;
  });
  return `${op}: shader ${src.file} entry ${k.entry} failed to compile with constants ${JSON.stringify(k.constants ?? {})}\n${lines.join('\n')}`;
}

export class PipelineCache {
  private cache = new Map<string, Promise<CompiledKernel>>();
  private modules = new Map<string, Promise<GPUShaderModule>>();

  constructor(private readonly ctx: GpuContext) {}

  get size(): number {
    return this.cache.size;
  }

  /** Compile (once) and return the kernel for `k`; `op` names the op in errors and labels. */
  get(k: KernelKey, op = k.shader): Promise<CompiledKernel> {
    // The source hash keys the entry, so a shader re-registered under the same name recompiles.
    const key = `${kernelKeyString(k)}#${shaderSource(k.shader).hash}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(k, key, op);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private module(src: ShaderSource, prelude: string, k: KernelKey, op: string): Promise<GPUShaderModule> {
    const mk = `${prelude}\n${src.code}`; // by content: a re-registered shader recompiles
    let p = this.modules.get(mk);
    if (!p) {
      p = (async () => {
        const device = this.ctx.device;
        const code = prelude ? `${prelude}\n${src.code}` : src.code;
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ code, label: src.file });
        this.ctx.counters.shaderModules++;
        const info = await module.getCompilationInfo();
        const scopeErr = await device.popErrorScope();
        const errs = info.messages.filter((m) => m.type === 'error');
        if (errs.length) throw new ShaderCompileError(formatMessages(src, prelude, errs, k, op));
        if (scopeErr) throw new ShaderCompileError(`${op}: shader ${src.file}: ${scopeErr.message}`);
        return module;
      })();
      this.modules.set(mk, p);
      p.catch(() => this.modules.delete(mk));
    }
    return p;
  }

  private async compile(k: KernelKey, key: string, op: string): Promise<CompiledKernel> {
    const src = shaderSource(k.shader);
    const prelude = k.prelude ?? '';
    const reflection = reflectEntry(prelude ? `${prelude}\n${src.code}` : src.code, k.entry);
    const constants = { ...(k.constants ?? {}) };
    for (const name of Object.keys(constants)) {
      if (!reflection.declaredOverrides.has(name)) {
        throw new ShaderCompileError(
          `${op}: constant "${name}" is not an override in ${src.file} (overrides: ${[...reflection.declaredOverrides.keys()].join(', ') || 'none'})`,
        );
      }
    }
    // Every given constant is passed (each was checked to be an override of the module): a
    // filter by the entry point's reflected overrides would silently drop constants that
    // wgsl_reflect misses (e.g. an override used directly as a switch selector).
    const used: Record<string, number> = {};
    for (const [n, v] of Object.entries(constants)) used[n] = Number(v);
    const module = await this.module(src, prelude, k, op);
    const device = this.ctx.device;
    const label = `${op}:${k.shader}.${k.entry}`;
    const entries: GPUBindGroupLayoutEntry[] = reflection.bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.kind },
    }));
    const layout = device.createBindGroupLayout({ label, entries });
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({
        label,
        layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: k.entry, constants: used },
      });
    } catch (e) {
      throw new ShaderCompileError(
        `${op}: pipeline ${label} with constants ${JSON.stringify(constants)} failed: ${(e as Error).message}`,
      );
    }
    this.ctx.counters.pipelines++;
    debug(1, `compiled ${key}`);
    return {
      key,
      label,
      source: src,
      reflection,
      constants,
      workgroupSize: resolveWorkgroupSize(reflection, constants),
      pipeline,
      layout,
    };
  }
}
