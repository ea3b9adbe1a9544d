// Records dispatches into one command encoder and submits them once. Each dispatch is checked
// against its kernel's reflected bindings before anything is encoded: every binding supplied,
// no unknown names, sizes within maxStorageBufferBindingSize, grid within
// maxComputeWorkgroupsPerDimension (flat grids are split over x and y; kernels that take a flat
// grid compute their workgroup index as wid.x + wid.y * num_workgroups.x and guard the tail).
import { LimitError } from '../util/errors';
import { debug } from '../util/debug';
import type { GpuContext } from './device';
import type { CompiledKernel } from './pipelines';
import { packUniforms } from './reflect';
import { Tensor } from './tensor';
import type { Profiler } from './profiler';

export interface Cost {
  flops: number;
  bytes: number;
}

export type BindingValue = Tensor | GPUBufferBinding;

export interface DispatchArgs {
  kernel: CompiledKernel;
  /** Storage bindings by WGSL variable name. */
  bindings: Record<string, BindingValue>;
  /** Values of the kernel's uniform struct fields by name. */
  uniforms?: Record<string, number | readonly number[]>;
  /** Workgroup counts; a single number is a flat grid that may be split over x and y. */
  workgroups: number | readonly [number, number, number];
  /** The op this dispatch belongs to (debug group, labels, profiler). */
  op: string;
  cost?: Cost;
}

/** A dispatch whose bind group and uniforms are ready: what the executor replays. */
export interface BoundDispatch {
  kernel: CompiledKernel;
  bindGroup: GPUBindGroup;
  grid: [number, number, number];
  op: string;
  cost?: Cost;
  /** The uniform buffer this dispatch owns (released with it), if any. */
  uniformBuffer?: GPUBuffer;
}

export function splitGrid(
  op: string,
  wg: number | readonly [number, number, number],
  max: number,
): [number, number, number] {
  if (typeof wg === 'number') {
    if (wg <= max) return [wg, 1, 1];
    const y = Math.ceil(wg / max);
    if (y > max) throw new LimitError(op, 'workgroup count', wg, 'maxComputeWorkgroupsPerDimension²', max * max);
    return [Math.ceil(wg / y), y, 1];
  }
  wg.forEach((n, i) => {
    if (n > max)
      throw new LimitError(op, `workgroup count along ${'xyz'[i]}`, n, 'maxComputeWorkgroupsPerDimension', max);
  });
  return [wg[0], wg[1], wg[2]];
}

/** Validate the bindings and create the bind group (and uniform buffer) for one dispatch. */
export function bindDispatch(ctx: GpuContext, a: DispatchArgs): BoundDispatch {
  const k = a.kernel;
  const who = `${a.op} (${k.label})`;
  const names = new Set(k.reflection.bindings.map((b) => b.name));
  for (const n of Object.keys(a.bindings)) {
    if (!names.has(n))
      throw new Error(`${who}: binding "${n}" is not used by the kernel (bindings: ${[...names].join(', ')})`);
  }
  const grid = splitGrid(a.op, a.workgroups, ctx.limits.maxComputeWorkgroupsPerDimension);
  const limit = ctx.limits.maxStorageBufferBindingSize;
  let uniformBuffer: GPUBuffer | undefined;
  const entries: GPUBindGroupEntry[] = k.reflection.bindings.map((b) => {
    if (b.kind === 'uniform') {
      const layout = k.reflection.uniform!;
      const data = packUniforms(layout, a.uniforms ?? {}, who);
      uniformBuffer = ctx.pool.acquire(
        layout.size,
        GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        `${a.op}.${layout.binding}`,
      );
      ctx.device.queue.writeBuffer(uniformBuffer, 0, data);
      return { binding: b.binding, resource: { buffer: uniformBuffer, offset: 0, size: layout.size } };
    }
    const v = a.bindings[b.name];
    if (!v) throw new Error(`${who}: binding "${b.name}" was not given`);
    const res = v instanceof Tensor ? v.binding() : v;
    if (v instanceof Tensor && v.isReleased)
      throw new Error(`${who}: binding "${b.name}" is tensor ${v.label}, already released`);
    const size = res.size ?? res.buffer.size - (res.offset ?? 0);
    if (size > limit) {
      const what =
        v instanceof Tensor ? `tensor ${v.label} bound as ${b.name}, size in bytes` : `binding ${b.name} size in bytes`;
      throw new LimitError(a.op, what, size, 'maxStorageBufferBindingSize', limit);
    }
    return { binding: b.binding, resource: res };
  });
  const bindGroup = ctx.createBindGroup({ label: `${a.op}:${k.label}`, layout: k.layout, entries });
  return { kernel: k, bindGroup, grid, op: a.op, cost: a.cost, uniformBuffer };
}

export interface RecorderOptions {
  label?: string;
  profiler?: Profiler | null;
  /** Collect commands into `commands` instead of encoding them (the executor replays them). */
  capture?: boolean;
}

/** A recorded command: what a captured plan replays every step. */
export type Command =
  | { kind: 'dispatch'; d: BoundDispatch }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number }
  | { kind: 'clear'; buffer: GPUBuffer; bytes: number };

/** One command buffer's worth of work: dispatches and copies, then one submit. */
export class Recorder {
  readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private passOp: string | null = null;
  private temps: GPUBuffer[] = [];
  private deferred: Tensor[] = [];
  private profiler: Profiler | null;
  dispatches = 0;
  /** In capture mode, the commands recorded so far (nothing is encoded). */
  readonly commands: Command[] | null;

  constructor(
    readonly ctx: GpuContext,
    opts: RecorderOptions = {},
  ) {
    ctx.assertAlive(opts.label ?? 'recorder');
    this.encoder = ctx.device.createCommandEncoder({ label: opts.label ?? 'shadergrad' });
    this.profiler = opts.profiler ?? null;
    this.commands = opts.capture ? [] : null;
  }

  /** Bind and encode one dispatch; the uniform buffer goes back to the pool after submit. */
  dispatch(a: DispatchArgs): void {
    const d = bindDispatch(this.ctx, a);
    if (this.commands) {
      this.commands.push({ kind: 'dispatch', d });
      this.dispatches++;
      return;
    }
    if (d.uniformBuffer) this.temps.push(d.uniformBuffer);
    this.encode(d);
  }

  /**
   * Release a scratch tensor once this recorder's work is submitted (releasing earlier could let
   * the pool hand the buffer to a host upload that runs before this work). In capture mode it is
   * released at `finishCapture`, while the pool is still capturing, so it stays with the plan.
   */
  releaseAfterSubmit(t: Tensor): void {
    this.deferred.push(t);
  }

  /** End a capture: release the deferred scratch tensors (into the pool's capture list). */
  finishCapture(): Command[] {
    if (!this.commands) throw new Error('Recorder: finishCapture on a recorder that does not capture');
    for (const t of this.deferred) t.release();
    this.deferred = [];
    return this.commands;
  }

  /** Encode a captured command list (no GPU objects are created unless profiling). */
  replay(cmds: readonly Command[]): void {
    for (const c of cmds) {
      if (c.kind === 'dispatch') this.encode(c.d);
      else if (c.kind === 'copy') this.copy(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      else this.clearBuffer(c.buffer, c.bytes);
    }
  }

  /** Encode a prepared dispatch (no GPU objects are created unless profiling opens a pass). */
  encode(d: BoundDispatch): void {
    if (d.grid[0] === 0 || d.grid[1] === 0 || d.grid[2] === 0) return;
    const slot = this.profiler?.slot(d);
    if (slot) {
      this.endPass();
      const pass = this.encoder.beginComputePass({ label: d.op, timestampWrites: slot });
      pass.pushDebugGroup(d.op);
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
      pass.popDebugGroup();
      pass.end();
    } else {
      if (!this.pass) this.pass = this.encoder.beginComputePass({ label: this.encoder.label });
      if (this.passOp !== d.op) {
        if (this.passOp !== null) this.pass.popDebugGroup();
        this.pass.pushDebugGroup(d.op);
        this.passOp = d.op;
      }
      this.pass.setPipeline(d.kernel.pipeline);
      this.pass.setBindGroup(0, d.bindGroup);
      this.pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    }
    this.dispatches++;
    debug(2, `dispatch ${d.op} ${d.kernel.label} grid=${d.grid.join('x')}`);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes <= 0) return;
    if (this.commands) {
      this.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
      return;
    }
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Zero a tensor's bytes. */
  clear(t: Tensor): void {
    this.clearBuffer(t.buffer, Math.ceil(t.byteSize / 4) * 4);
  }

  private clearBuffer(buffer: GPUBuffer, bytes: number): void {
    if (bytes <= 0) return;
    if (this.commands) {
      this.commands.push({ kind: 'clear', buffer, bytes });
      return;
    }
    this.endPass();
    this.encoder.clearBuffer(buffer, 0, bytes);
  }

  private endPass(): void {
    if (!this.pass) return;
    if (this.passOp !== null) this.pass.popDebugGroup();
    this.pass.end();
    this.pass = null;
    this.passOp = null;
  }

  /** Finish and submit the command buffer. */
  submit(): void {
    if (this.commands) throw new Error('Recorder: a capturing recorder is replayed, not submitted');
    this.endPass();
    this.profiler?.resolve(this.encoder);
    this.ctx.device.queue.submit([this.encoder.finish()]);
    this.profiler?.afterSubmit();
    for (const b of this.temps) this.ctx.pool.release(b);
    this.temps = [];
    for (const t of this.deferred) t.release();
    this.deferred = [];
  }
}
