// A GPU tensor: a pooled storage buffer with a shape, a dtype and a label naming what made it.
import { LimitError } from '../util/errors';
import { numel, checkShape, type Shape } from '../util/shape';
import type { GpuContext } from './device';

export type DType = 'f32' | 'i32' | 'u32';
export type HostArray = Float32Array | Int32Array | Uint32Array;

export class Tensor {
  private released = false;
  constructor(
    readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly shape: number[],
    readonly dtype: DType,
    readonly label: string,
  ) {}

  get size(): number {
    return numel(this.shape);
  }
  get byteSize(): number {
    return this.size * 4;
  }
  /** The binding range: exactly this tensor's bytes (at least 4, as WebGPU requires). */
  binding(): GPUBufferBinding {
    // Empty tensors bind 16 bytes (the minimum binding of an array<vec4<f32>>; pool buffers have at least 16).
    return {
      buffer: this.buffer,
      offset: 0,
      size: this.byteSize === 0 ? Math.min(16, this.buffer.size) : this.byteSize,
    };
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.ctx.pool.release(this.buffer);
  }
  get isReleased(): boolean {
    return this.released;
  }
  /** Copy to the host (waits for queued work). */
  read(): Promise<HostArray> {
    return readTensor(this);
  }
}

function checkBytes(ctx: GpuContext, label: string, bytes: number): void {
  const lim = ctx.limits.maxStorageBufferBindingSize;
  if (bytes > lim)
    throw new LimitError(label, `tensor ${label} size in bytes`, bytes, 'maxStorageBufferBindingSize', lim);
}

export function emptyTensor(ctx: GpuContext, shape: Shape, dtype: DType = 'f32', label = 'tensor'): Tensor {
  checkShape(label, 'tensor', shape);
  const bytes = numel(shape) * 4;
  checkBytes(ctx, label, bytes);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buf = ctx.pool.acquire(Math.max(16, bytes), usage, label);
  return new Tensor(ctx, buf, [...shape], dtype, label);
}

export function tensorFrom(
  ctx: GpuContext,
  data: ArrayLike<number> | HostArray,
  shape: Shape,
  dtype: DType = 'f32',
  label = 'input',
): Tensor {
  const n = numel(shape);
  if (data.length !== n)
    throw new Error(`${label}: ${data.length} values given for shape [${shape.join(', ')}] (${n} elements)`);
  const t = emptyTensor(ctx, shape, dtype, label);
  const arr =
    dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
  if (n > 0) ctx.device.queue.writeBuffer(t.buffer, 0, arr.buffer, arr.byteOffset, arr.byteLength);
  return t;
}

/** Overwrite a tensor's contents from the host (queue-ordered). */
export function writeTensor(t: Tensor, data: HostArray): void {
  if (data.length !== t.size) throw new Error(`${t.label}: write of ${data.length} values into a tensor of ${t.size}`);
  if (t.size > 0) t.ctx.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
}

export async function readBuffer(ctx: GpuContext, src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  if (bytes === 0) return new ArrayBuffer(0);
  const size = Math.ceil(bytes / 4) * 4;
  const staging = ctx.pool.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
  const enc = ctx.device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ, 0, size);
  const out = staging.getMappedRange(0, size).slice(0, bytes);
  staging.unmap();
  ctx.pool.release(staging);
  const errs = ctx.takeErrors();
  if (errs.length) throw errs[0];
  return out;
}

export async function readTensor(t: Tensor): Promise<HostArray> {
  const bytes = await readBuffer(t.ctx, t.buffer, t.byteSize);
  return t.dtype === 'f32'
    ? new Float32Array(bytes)
    : t.dtype === 'i32'
      ? new Int32Array(bytes)
      : new Uint32Array(bytes);
}
