// Compile once, replay many. `Executor.compile` plans the graph's memory, creates every buffer,
// then runs each node's encoder once into a capturing Recorder: the result is a fixed list of
// commands (dispatches with their bind groups and uniform buffers, copies, clears). `step()`
// replays that list into one command encoder and submits once; in steady state it creates no
// GPU buffers, bind groups or pipelines. Reading values back is asynchronous and optional.
import type { GpuContext } from '../gpu/device';
import { Recorder, type Command } from '../gpu/recorder';
import { Tensor, emptyTensor, tensorFrom, readTensor, writeTensor, type HostArray } from '../gpu/tensor';
import type { Profiler } from '../gpu/profiler';
import { checkFits } from '../gpu/limits';
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { debug } from '../util/debug';
import { sameShape } from '../util/shape';
import { opDef } from '../ops/index';
import { isOp, type Graph, type Value, type GNode } from './graph';
import { planBuffers, isLeaf, type BufferPlan } from './plan';
import { formatMemory, memoryReport, type MemoryReport } from './memory';

export interface CompileOptions {
  /** Values to compute (and keep readable) every step, e.g. the loss. */
  outputs: Value[];
  /** Extra values to keep readable (never reused by the planner). */
  keep?: Value[];
  label?: string;
  /**
   * Use this executor's parameter tensors for parameters of the same name and shape (e.g. an
   * inference graph sharing a Trainer's weights: no copies, updates are seen at once).
   */
  shareParams?: Executor;
  /** Which non-trainable parameters are optimizer state (for the memory report). */
  optimizerState?: (name: string) => boolean;
}

export interface StepOptions {
  /** Values to read back after this step (must be outputs or kept); resolves asynchronously. */
  read?: Value[];
  profiler?: Profiler | null;
}

/** Per-node hooks for values that change every step without recompiling (dropout's step). */
export type StepHook = (step: number) => void;

export class Executor {
  private staging = new Map<number, GPUBuffer[]>();
  /** Steps run so far (the dropout step counter and optimizer step derive from it). */
  stepCount = 0;
  /** The plan's bytes by role (weights, optimizer state, activations and gradients), known before allocation. */
  memory!: MemoryReport;
  /** Values whose tensors outlive a step: leaves, outputs and kept values. */
  private readonly readable: Set<Value>;

  private constructor(
    readonly ctx: GpuContext,
    readonly graph: Graph,
    readonly plan: BufferPlan,
    private readonly tensors: Map<Value, Tensor>,
    private readonly commands: Command[],
    private readonly owned: GPUBuffer[],
    private readonly hooks: StepHook[],
    private readonly borrowed: Set<Value> = new Set(),
  ) {
    this.readable = new Set(plan.persistent);
  }

  static async compile(ctx: GpuContext, graph: Graph, opts: CompileOptions): Promise<Executor> {
    const keep = [...opts.outputs, ...(opts.keep ?? [])];
    const plan = planBuffers(graph, opts.outputs, keep);
    const memory = memoryReport(plan, opts.optimizerState, (v) => {
      const n = v.node;
      return isOp(n, 'param') && opts.shareParams?.hasParam(n.attrs.name, n.attrs.shape) === true;
    });
    debug(1, `${opts.label ?? 'plan'}: planned GPU memory ${formatMemory(memory)}`);
    // A graph too large for the adapter is refused here, before any buffer, naming the tensor
    // and the plan's totals.
    try {
      checkFits(
        opts.label ?? 'plan',
        [...plan.persistent, ...plan.slotOf.keys()].map((v) => ({ name: v.name, shape: v.shape })),
        ctx.limits,
      );
    } catch (e) {
      if (e instanceof LimitError) e.message = `${e.message} (the plan: ${formatMemory(memory)})`;
      throw e;
    }
    const tensors = new Map<Value, Tensor>();
    const borrowed = new Set<Value>();
    const owned: GPUBuffer[] = [];
    // Persistent buffers: leaves and kept values.
    for (const v of plan.persistent) {
      const n = v.node;
      if (isOp(n, 'param')) {
        const a = n.attrs;
        const shared = opts.shareParams?.sharedParam(a.name, a.shape);
        if (shared) borrowed.add(v);
        tensors.set(v, shared ?? tensorFrom(ctx, a.init, a.shape, 'f32', a.name));
      } else if (isOp(n, 'constant')) {
        const a = n.attrs;
        tensors.set(v, tensorFrom(ctx, a.data, a.shape, a.dtype, a.name));
      } else if (isOp(n, 'fill')) {
        const a = n.attrs;
        tensors.set(v, tensorFrom(ctx, new Float32Array(v.size).fill(a.value), a.shape, 'f32', v.name));
      } else {
        tensors.set(v, emptyTensor(ctx, v.shape, v.dtype, v.name));
      }
    }
    // Transient slots: one buffer each, shared by the values the plan puts there.
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const slots = plan.slotBytes.map((b, i) => ctx.pool.acquire(b, usage, `${opts.label ?? 'plan'}.slot${i}`));
    owned.push(...slots);
    const tensorOf = (v: Value): Tensor => {
      let t = tensors.get(v);
      if (!t) {
        const s = plan.slotOf.get(v);
        if (s === undefined) throw new Error(`executor: value ${v.toString()} has no buffer in the plan`);
        t = new Tensor(ctx, slots[s]!, [...v.shape], v.dtype, v.name);
        tensors.set(v, t);
      }
      return t;
    };
    // Views of persistent values share their buffers.
    for (const n of plan.order) {
      if (opDef(n.op).view && !plan.slotOf.has(n.outputs[0]!)) {
        const src = tensorOf(n.inputs[0]!);
        tensors.set(
          n.outputs[0]!,
          new Tensor(ctx, src.buffer, [...n.outputs[0]!.shape], n.outputs[0]!.dtype, n.outputs[0]!.name),
        );
      }
    }
    // Capture every node's commands once.
    ctx.pool.beginCapture();
    const rec = new Recorder(ctx, { capture: true, label: opts.label ?? 'plan' });
    const hooks: StepHook[] = [];
    try {
      for (const n of plan.order) {
        if (isLeaf(n) || opDef(n.op).view) continue;
        const def = opDef(n.op);
        const first = rec.commands!.length;
        await def.encode(rec, n.inputs.map(tensorOf), n.outputs.map(tensorOf), n.attrs);
        const hook = stepHook(ctx, n, rec.commands!.slice(first));
        if (hook) hooks.push(hook);
      }
    } finally {
      rec.finishCapture();
      owned.push(...ctx.pool.endCapture());
    }
    for (const c of rec.commands!) if (c.kind === 'dispatch' && c.d.uniformBuffer) owned.push(c.d.uniformBuffer);
    debug(
      1,
      `plan ${opts.label ?? ''}: ${plan.order.length} nodes, ${rec.commands!.length} commands, ${plan.plannedBytes} B planned vs ${plan.naiveBytes} B naive`,
    );
    const ex = new Executor(ctx, graph, plan, tensors, rec.commands!, owned, hooks, borrowed);
    ex.memory = memory;
    return ex;
  }

  /** The tensor of parameter `name` if it exists with this shape (for shareParams). */
  /** Whether this executor holds a parameter `name` of `shape` (sharedParam would give it). */
  hasParam(name: string, shape: readonly number[]): boolean {
    const v = this.graph.params.get(name);
    return v !== undefined && this.tensors.has(v) && sameShape(v.shape, shape);
  }

  sharedParam(name: string, shape: readonly number[]): Tensor | undefined {
    const v = this.graph.params.get(name);
    const t = v && this.tensors.get(v);
    if (!t) return undefined;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(
        'executor',
        `shared parameter "${name}" is ${fmtShape(t.shape)} here but ${fmtShape(shape)} in the new graph`,
      );
    }
    return t;
  }

  /** The tensor holding a leaf, an output or a kept value. */
  tensor(v: Value): Tensor {
    const t = this.tensors.get(v);
    if (!t || !this.readable.has(v))
      throw new Error(`executor: ${v.toString()} is not an output, a kept value or a leaf of this plan`);
    return t;
  }

  /** Write an input (or a parameter) by name from the host (queue-ordered before the next step). */
  write(name: string, data: HostArray | ArrayLike<number>): void {
    const v = this.graph.inputs.get(name) ?? this.graph.params.get(name) ?? this.graph.constants.get(name);
    if (!v) throw new Error(`executor: no input, parameter or constant named "${name}"`);
    const t = this.tensors.get(v);
    if (!t) throw new Error(`executor: "${name}" is not used by this plan`);
    const n = v.size;
    if (data.length !== n)
      throw new ShapeError('executor.write', `"${name}" ${fmtShape(v.shape)} takes ${n} values, got ${data.length}`);
    const typed =
      v.dtype === 'f32'
        ? data instanceof Float32Array
          ? data
          : Float32Array.from(data)
        : v.dtype === 'i32'
          ? data instanceof Int32Array
            ? data
            : Int32Array.from(data)
          : data instanceof Uint32Array
            ? data
            : Uint32Array.from(data);
    writeTensor(t, typed);
  }

  /** Number of commands replayed per step (dispatches, copies, clears). */
  get commandCount(): number {
    return this.commands.length;
  }

  /**
   * Run one step: one command encoder, one submit. With `read`, copies those values into
   * staging buffers in the same submission and resolves with their contents when mapped.
   */
  step(opts: StepOptions = {}): Promise<HostArray[]> {
    for (const h of this.hooks) h(this.stepCount);
    this.stepCount++;
    const rec = new Recorder(this.ctx, { label: 'step', profiler: opts.profiler ?? null });
    rec.replay(this.commands);
    const reads = (opts.read ?? []).map((v) => {
      const t = this.tensor(v);
      const bytes = Math.max(4, t.byteSize);
      const buf = this.takeStaging(bytes);
      rec.copy(t.buffer, 0, buf, 0, bytes);
      return { t, buf, bytes };
    });
    rec.submit();
    if (!reads.length) return Promise.resolve([]);
    return Promise.all(
      reads.map(async ({ t, buf, bytes }) => {
        await buf.mapAsync(GPUMapMode.READ, 0, bytes);
        const copy = buf.getMappedRange(0, bytes).slice(0, t.byteSize);
        buf.unmap();
        this.staging.get(buf.size)!.push(buf);
        return t.dtype === 'f32'
          ? new Float32Array(copy)
          : t.dtype === 'i32'
            ? new Int32Array(copy)
            : new Uint32Array(copy);
      }),
    );
  }

  private takeStaging(bytes: number): GPUBuffer {
    const size = Math.ceil(bytes / 256) * 256;
    let list = this.staging.get(size);
    if (!list) this.staging.set(size, (list = []));
    return (
      list.pop() ??
      this.ctx.createBuffer({
        size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: 'executor.staging',
      })
    );
  }

  /** Read a persistent or kept value now (waits for queued work). */
  read(v: Value): Promise<HostArray> {
    return readTensor(this.tensor(v));
  }

  /** Read a parameter by name. */
  readParam(name: string): Promise<HostArray> {
    const v = this.graph.params.get(name);
    if (!v) throw new Error(`executor: no parameter named "${name}"`);
    return this.read(v);
  }

  destroy(): void {
    for (const v of this.plan.persistent) if (!this.borrowed.has(v)) this.tensors.get(v)?.release();
    this.ctx.pool.releaseAll(this.owned);
    for (const l of this.staging.values()) for (const b of l) b.destroy();
    this.staging.clear();
  }
}

/** Ops whose uniforms change per step declare `perStep`; their captured uniform buffers are rewritten. */
function stepHook(ctx: GpuContext, n: GNode, cmds: Command[]): StepHook | null {
  const def = opDef(n.op);
  const perStep = def.perStep;
  if (!perStep) return null;
  const dispatches = cmds.flatMap((c) => (c.kind === 'dispatch' && c.d.uniformBuffer ? [c.d] : []));
  return (step) => {
    const values = perStep(n.attrs, step);
    for (const d of dispatches) {
      const layout = d.kernel.reflection.uniform!;
      for (const [name, val] of Object.entries(values)) {
        const f = layout.fields.get(name);
        if (!f) continue;
        const arr =
          f.scalar === 'f32'
            ? new Float32Array([val])
            : f.scalar === 'i32'
              ? new Int32Array([val])
              : new Uint32Array([val >>> 0]);
        ctx.device.queue.writeBuffer(d.uniformBuffer!, f.offset, arr);
      }
    }
  };
}
