// Device acquisition and the GpuContext every op runs on: adapter facts, optional features,
// the tuning table derived from them (src/gpu/tuning.ts), error surfacing (uncaptured errors and
// device loss reach the caller), counters of created GPU objects, the buffer pool and the
// pipeline cache.
import { GpuError } from '../util/errors';
import { debug } from '../util/debug';
import { BufferPool } from './pool';
import { PipelineCache } from './pipelines';
import { deriveTuning, formatTuning, tuningFromEnvironment, type TuningOverrides, type TuningTable } from './tuning';

export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A readable name such as "google swiftshader" or "nvidia ampere". */
  name: string;
  isFallback: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
}

export interface Features {
  timestampQuery: boolean;
  subgroups: boolean;
  shaderF16: boolean;
}

export interface CreateContextOptions {
  powerPreference?: GPUPowerPreference;
  /** Request these optional features when present (default: all three). */
  wantFeatures?: Partial<Features>;
  /**
   * Tuning overrides on top of the adapter's defaults and of the page's `?tuning=` (or
   * SHADERGRAD_TUNING in Node): `'matmul.variant=register,softmax.threads=64'` or typed values.
   */
  tuning?: TuningOverrides;
}

export type GpuErrorListener = (err: GpuError) => void;

/** Counts of GPU objects created through the context (the executor asserts none per step). */
export interface CreationCounters {
  buffers: number;
  bindGroups: number;
  pipelines: number;
  shaderModules: number;
}

const HOW_TO_ENABLE =
  'WebGPU needs a secure origin (https:// or http://localhost) and a browser with WebGPU enabled: ' +
  'Chrome/Chromium 113+ (on Linux start Chromium with --enable-unsafe-webgpu), Edge 113+, Safari 26+ or Firefox 141+.';

export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly counters: CreationCounters = { buffers: 0, bindGroups: 0, pipelines: 0, shaderModules: 0 };
  /** Errors seen since the last `takeErrors()`; listeners are also called as they arrive. */
  private errors: GpuError[] = [];
  private listeners = new Set<GpuErrorListener>();
  lost: GPUDeviceLostInfo | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterFacts,
    readonly features: Features,
    readonly limits: GPUSupportedLimits,
    /** Every variant choice and tuning constant the launchers use (they never read `adapter`). */
    readonly tuning: TuningTable = deriveTuning({ ...adapter, subgroups: features.subgroups }),
  ) {
    this.pool = new BufferPool(this);
    this.pipelines = new PipelineCache(this);
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.report(new GpuError(`WebGPU ${e.constructor.name}: ${e.message}`));
    });
    void device.lost.then((info) => {
      this.lost = info;
      if (info.reason !== 'destroyed')
        this.report(new GpuError(`WebGPU device lost (${info.reason}): ${info.message}`));
    });
  }

  /** Subscribe to uncaptured errors and device loss; returns an unsubscribe function. */
  onError(fn: GpuErrorListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The errors reported since the last call; tests fail when this is non-empty. */
  takeErrors(): GpuError[] {
    const e = this.errors;
    this.errors = [];
    return e;
  }

  private report(err: GpuError): void {
    debug(0, err.message);
    this.errors.push(err);
    for (const fn of this.listeners) fn(err);
    if (this.listeners.size === 0) console.error(`[shadergrad] ${err.message}`);
  }

  /** Throws if the device is lost, so callers fail fast instead of encoding into a dead device. */
  assertAlive(op: string): void {
    if (this.lost) throw new GpuError(`${op}: the WebGPU device was lost (${this.lost.reason}): ${this.lost.message}`);
  }

  createBuffer(desc: GPUBufferDescriptor): GPUBuffer {
    this.counters.buffers++;
    return this.device.createBuffer(desc);
  }

  createBindGroup(desc: GPUBindGroupDescriptor): GPUBindGroup {
    this.counters.bindGroups++;
    return this.device.createBindGroup(desc);
  }

  /** Wait for all submitted work, then throw the first error it raised (if any). */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    const errs = this.takeErrors();
    if (errs.length) throw errs[0];
  }

  destroy(): void {
    this.pool.destroyAll();
    this.device.destroy();
  }
}

function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  const info = adapter.info;
  const a = info as GPUAdapterInfo & {
    isFallbackAdapter?: boolean;
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
  };
  const name =
    [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    name,
    isFallback: Boolean(a.isFallbackAdapter),
    subgroupMinSize: a.subgroupMinSize ?? 0,
    subgroupMaxSize: a.subgroupMaxSize ?? 0,
  };
}

/** Acquire an adapter and device, requesting the optional features the adapter has. */
export async function createContext(opts: CreateContextOptions = {}): Promise<GpuContext> {
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) throw new GpuError(`navigator.gpu is missing: this page has no WebGPU. ${HOW_TO_ENABLE}`);
  const adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : {});
  if (!adapter) throw new GpuError(`navigator.gpu.requestAdapter() returned no adapter. ${HOW_TO_ENABLE}`);
  const want = { timestampQuery: true, subgroups: true, shaderF16: true, ...opts.wantFeatures };
  const features: Features = {
    timestampQuery: want.timestampQuery && adapter.features.has('timestamp-query'),
    subgroups: want.subgroups && adapter.features.has('subgroups'),
    shaderF16: want.shaderF16 && adapter.features.has('shader-f16'),
  };
  const facts = adapterFacts(adapter);
  // Derived before the device: a bad override fails at once, naming the key.
  const tuning = deriveTuning({ ...facts, subgroups: features.subgroups }, tuningFromEnvironment(), opts.tuning);
  const required: GPUFeatureName[] = [];
  if (features.timestampQuery) required.push('timestamp-query');
  if (features.subgroups) required.push('subgroups' as GPUFeatureName);
  if (features.shaderF16) required.push('shader-f16');
  // Ask for the adapter's own maxima of the limits that bound tensor sizes and workgroups.
  const lim = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
    maxBufferSize: lim.maxBufferSize,
    maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: lim.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
  };
  const device = await adapter.requestDevice({ requiredFeatures: required, requiredLimits, label: 'shadergrad' });
  const ctx = new GpuContext(device, facts, features, device.limits, tuning);
  debug(1, `device on ${ctx.adapter.name}`, features);
  debug(1, formatTuning(tuning));
  return ctx;
}
