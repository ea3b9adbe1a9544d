// A buffer pool that reuses GPU buffers by (usage, size class). Size classes are powers of two
// split into eighths above 4 KiB, so reuse wastes at most ~12% while keeping few classes.
import { LimitError } from '../util/errors';
import type { GpuContext } from './device';

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 4096) return 2 ** Math.ceil(Math.log2(b));
  const p = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / p) * p;
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  /** Bytes currently held by the pool, free or in use. */
  bytesAllocated = 0;
  reused = 0;
  /** While capturing a plan, releases are deferred: the plan owns every buffer its ops touched. */
  private captured: GPUBuffer[] | null = null;

  constructor(private readonly ctx: GpuContext) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const size = sizeClass(bytes);
    const max = this.ctx.limits.maxBufferSize;
    if (size > max) throw new LimitError(label, 'buffer size in bytes', bytes, 'maxBufferSize', max);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (buf) {
      this.reused++;
      buf.label = label;
    } else {
      buf = this.ctx.createBuffer({ size, usage, label });
      this.bytesAllocated += size;
    }
    this.live.add(buf);
    return buf;
  }

  /**
   * Start capturing: until `endCapture`, buffers released by ops are kept out of the free lists,
   * because a captured command list will touch them again on every replay.
   */
  beginCapture(): void {
    if (this.captured) throw new Error('BufferPool: a capture is already in progress');
    this.captured = [];
  }

  /** End capturing; returns the buffers released during the capture (now owned by the caller). */
  endCapture(): GPUBuffer[] {
    const c = this.captured ?? [];
    this.captured = null;
    return c;
  }

  /** Return buffers owned by a destroyed plan to the free lists. */
  releaseAll(bufs: GPUBuffer[]): void {
    for (const b of bufs) {
      this.live.add(b);
      this.release(b);
    }
  }

  release(buf: GPUBuffer): void {
    if (this.captured && this.live.has(buf)) {
      this.live.delete(buf);
      this.captured.push(buf);
      return;
    }
    if (!this.live.delete(buf)) return;
    const key = `${buf.usage}:${buf.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  get liveCount(): number {
    return this.live.size;
  }

  destroyAll(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    for (const b of this.live) b.destroy();
    this.free.clear();
    this.live.clear();
    this.bytesAllocated = 0;
  }
}
