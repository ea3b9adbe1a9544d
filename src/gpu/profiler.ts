// GPU timing per dispatch with timestamp queries. While a Profiler is attached to a Recorder,
// every dispatch runs in its own compute pass whose begin/end timestamps are written to a query
// set; after submit the stamps are resolved and read back asynchronously. `table()` groups the
// timings per kernel with GFLOP/s and GB/s from each op's declared flop and byte counts, and
// each span is also emitted as a `performance.measure` on its own DevTools track.
import type { GpuContext } from './device';
import type { BoundDispatch } from './recorder';

export interface KernelTiming {
  op: string;
  kernel: string;
  ms: number;
  flops: number;
  bytes: number;
}

export interface KernelRow {
  kernel: string;
  op: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  gflops: number;
  gbps: number;
}

interface Meta {
  op: string;
  kernel: string;
  flops: number;
  bytes: number;
}

export class Profiler {
  private querySet: GPUQuerySet;
  private resolveBuf: GPUBuffer;
  private metas: Meta[] = [];
  private pending: Promise<void>[] = [];
  private submitted: { buf: GPUBuffer; metas: Meta[]; cpuMs: number } | null = null;
  readonly timings: KernelTiming[] = [];
  /** Emit performance.measure entries (DevTools Performance panel track "shadergrad GPU"). */
  emitMeasures = true;

  constructor(
    readonly ctx: GpuContext,
    readonly capacity = 1024,
  ) {
    if (!ctx.features.timestampQuery)
      throw new Error('Profiler needs the timestamp-query feature, which this adapter lacks');
    this.querySet = ctx.device.createQuerySet({ type: 'timestamp', count: 2 * capacity, label: 'profiler' });
    this.resolveBuf = ctx.device.createBuffer({
      size: 16 * capacity,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'profiler.resolve',
    });
  }

  /** Timestamp writes for the next dispatch, or undefined when this submit's slots are full. */
  slot(d: BoundDispatch): GPUComputePassTimestampWrites | undefined {
    if (this.metas.length >= this.capacity) return undefined;
    const i = this.metas.length;
    this.metas.push({ op: d.op, kernel: d.kernel.label, flops: d.cost?.flops ?? 0, bytes: d.cost?.bytes ?? 0 });
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  resolve(enc: GPUCommandEncoder): void {
    const n = this.metas.length;
    if (n === 0) return;
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    const buf = this.ctx.pool.acquire(16 * n, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'profiler.readback');
    enc.copyBufferToBuffer(this.resolveBuf, 0, buf, 0, 16 * n);
    this.submitted = { buf, metas: this.metas, cpuMs: performance.now() };
    this.metas = [];
  }

  afterSubmit(): void {
    const s = this.submitted;
    if (!s) return;
    this.submitted = null;
    this.pending.push(
      (async () => {
        await s.buf.mapAsync(GPUMapMode.READ, 0, 16 * s.metas.length);
        const stamps = new BigUint64Array(s.buf.getMappedRange(0, 16 * s.metas.length).slice(0));
        s.buf.unmap();
        this.ctx.pool.release(s.buf);
        // Anchor GPU time to the CPU clock at submit: spans keep their GPU durations and order.
        const t0 = stamps[0]!;
        s.metas.forEach((m, i) => {
          const b = stamps[2 * i]!;
          const e = stamps[2 * i + 1]!;
          const ms = e > b ? Number(e - b) / 1e6 : 0;
          this.timings.push({ ...m, ms });
          if (this.emitMeasures && typeof performance.measure === 'function') {
            const start = s.cpuMs + Number(b - t0) / 1e6;
            try {
              performance.measure(`${m.op} ${m.kernel}`, {
                start,
                end: start + ms,
                detail: {
                  devtools: {
                    dataType: 'track-entry',
                    track: 'shadergrad GPU',
                    color: 'tertiary',
                    tooltipText: `${m.kernel} ${ms.toFixed(3)} ms`,
                  },
                },
              });
            } catch {
              /* measure with detail unsupported: timings are still recorded */
            }
          }
        });
      })(),
    );
  }

  /** Wait for every submitted readback and return all timings so far. */
  async collect(): Promise<KernelTiming[]> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
    return this.timings;
  }

  reset(): void {
    this.timings.length = 0;
  }

  /** Per-kernel table, slowest total first. */
  table(): KernelRow[] {
    const rows = new Map<string, KernelRow & { flopsSum: number; bytesSum: number }>();
    for (const t of this.timings) {
      const key = `${t.op}|${t.kernel}`;
      let r = rows.get(key);
      if (!r)
        rows.set(
          key,
          (r = {
            kernel: t.kernel,
            op: t.op,
            calls: 0,
            totalMs: 0,
            meanMs: 0,
            gflops: 0,
            gbps: 0,
            flopsSum: 0,
            bytesSum: 0,
          }),
        );
      r.calls++;
      r.totalMs += t.ms;
      r.flopsSum += t.flops;
      r.bytesSum += t.bytes;
    }
    return [...rows.values()]
      .map(({ flopsSum, bytesSum, ...r }) => ({
        ...r,
        meanMs: r.totalMs / r.calls,
        gflops: r.totalMs > 0 ? flopsSum / (r.totalMs * 1e6) : 0,
        gbps: r.totalMs > 0 ? bytesSum / (r.totalMs * 1e6) : 0,
      }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
  }
}

/** Render a profiler table as fixed-width text. */
export function formatTable(rows: KernelRow[]): string {
  const head =
    'kernel'.padEnd(44) +
    'calls'.padStart(7) +
    'total ms'.padStart(11) +
    'mean ms'.padStart(10) +
    'GFLOP/s'.padStart(10) +
    'GB/s'.padStart(9);
  const lines = rows.map(
    (r) =>
      r.kernel.padEnd(44) +
      String(r.calls).padStart(7) +
      r.totalMs.toFixed(3).padStart(11) +
      r.meanMs.toFixed(4).padStart(10) +
      r.gflops.toFixed(2).padStart(10) +
      r.gbps.toFixed(2).padStart(9),
  );
  return [head, ...lines].join('\n');
}
