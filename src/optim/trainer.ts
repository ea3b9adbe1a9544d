// The training step as one compiled graph: loss → gradients (autograd) → optional global-norm
// clipping → optimizer updates, all on the GPU in one submit. The host writes the batch and the
// per-step scalars [lr, 1−β1^t, 1−β2^t, t]; reading the loss back is optional per step.
// A Trainer saves and loads checkpoints (parameters, optimizer state, step) and resumes exactly.
import type { GpuContext } from '../gpu/device';
import type { HostArray } from '../gpu/tensor';
import type { Profiler } from '../gpu/profiler';
import { Graph, type Value } from '../graph/graph';
import { gradients } from '../graph/autograd';
import { Executor } from '../graph/executor';
import { StepScalars } from '../ops/optimizer';
import {
  buildCheckpoint,
  parseCheckpoint,
  type CheckpointFiles,
  type JsonObject,
  type TrainingProgress,
} from '../io/checkpoint';
import { loadSafetensors } from '../io/safetensors';
import { constantLr, type Schedule } from './schedule';

export interface OptimizerSpec {
  kind: 'sgd' | 'adam' | 'adamw';
  /** Learning rate or schedule (step t = 1, 2, …). */
  lr: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Which parameters get weight decay (default: all; nanoGPT: 2-D weights only). */
  decay?: (p: Value) => boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export interface TrainerOptions {
  /** Global-norm gradient clipping threshold (off when absent). */
  clip?: number;
  /** Values besides the loss to compute every step (and read when asked). */
  outputs?: Value[];
  /** The model / run config stored in checkpoints. */
  config?: JsonObject;
}

const SCALARS = 'optimizer.scalars';

interface Slot {
  param: string;
  slot: string;
  value: Value;
}

export class Trainer {
  /** Optimizer steps taken. */
  step = 0;
  private constructor(
    readonly ctx: GpuContext,
    readonly graph: Graph,
    readonly loss: Value,
    readonly executor: Executor,
    readonly spec: Required<Pick<OptimizerSpec, 'kind' | 'beta1' | 'beta2'>> & { schedule: Schedule },
    readonly params: Value[],
    private readonly slots: Slot[],
    readonly config: JsonObject,
  ) {}

  /** Add gradients, clipping and the optimizer to `g`, then compile the whole step. */
  static async create(
    ctx: GpuContext,
    g: Graph,
    loss: Value,
    spec: OptimizerSpec,
    o: TrainerOptions = {},
  ): Promise<Trainer> {
    const params = g.trainable();
    const grads = gradients(g, loss, params);
    if (o.clip !== undefined) g.apply('clip_scale', [g.op('global_norm', grads, {}), ...grads], { maxNorm: o.clip });
    const scalars = g.input(SCALARS, [4]);
    const beta1 = spec.beta1 ?? 0.9;
    const beta2 = spec.beta2 ?? 0.999;
    const slots: Slot[] = [];
    const state = (p: Value, slot: string): Value => {
      const v = g.param(`${p.name}.${slot}`, [...p.shape], new Float32Array(p.size), false);
      slots.push({ param: p.name, slot, value: v });
      return v;
    };
    params.forEach((p, i) => {
      const wd = spec.decay && !spec.decay(p) ? 0 : (spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0));
      if (spec.kind === 'sgd') {
        const momentum = spec.momentum ?? 0;
        g.apply('sgd', [p, grads[i]!, state(p, 'momentum'), scalars], {
          momentum,
          dampening: spec.dampening ?? 0,
          nesterov: spec.nesterov ?? false,
          weightDecay: wd,
        });
      } else {
        g.apply('adam', [p, grads[i]!, state(p, 'm'), state(p, 'v'), scalars], {
          beta1,
          beta2,
          eps: spec.eps ?? 1e-8,
          weightDecay: wd,
          decoupled: spec.kind === 'adamw',
        });
      }
    });
    const slotNames = new Set(slots.map((s) => s.value.name));
    const executor = await Executor.compile(ctx, g, {
      outputs: [loss, ...(o.outputs ?? [])],
      label: 'train',
      optimizerState: (name) => slotNames.has(name),
    });
    const schedule = typeof spec.lr === 'number' ? constantLr(spec.lr) : spec.lr;
    return new Trainer(
      ctx,
      g,
      loss,
      executor,
      { kind: spec.kind, beta1, beta2, schedule },
      params,
      slots,
      o.config ?? {},
    );
  }

  /** The learning rate of the next step. */
  get lr(): number {
    return this.spec.schedule(this.step + 1);
  }

  /**
   * One training step on `batch` (input name → data). Resolves with the values in `read`
   * (e.g. [trainer.loss]) when asked, else immediately after the submit.
   */
  run(
    batch: Record<string, HostArray | ArrayLike<number>>,
    read: Value[] = [],
    profiler: Profiler | null = null,
  ): Promise<HostArray[]> {
    const t = this.step + 1;
    for (const [name, data] of Object.entries(batch)) this.executor.write(name, data);
    this.executor.write(SCALARS, StepScalars.values(this.spec.schedule(t), t, this.spec.beta1, this.spec.beta2));
    this.step = t;
    return this.executor.step({ read, profiler });
  }

  /** Parameters, optimizer state and progress as checkpoint files. */
  async save(progress: JsonObject = {}): Promise<CheckpointFiles> {
    const params: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const p of this.params)
      params[p.name] = { shape: [...p.shape], data: (await this.executor.read(p)) as Float32Array };
    const slots: Record<string, Record<string, { shape: number[]; data: Float32Array }>> = {};
    for (const s of this.slots)
      (slots[s.param] ??= {})[s.slot] = {
        shape: [...s.value.shape],
        data: (await this.executor.read(s.value)) as Float32Array,
      };
    const prog: TrainingProgress = { ...progress, step: this.step, executorSteps: this.executor.stepCount };
    return buildCheckpoint({
      params,
      optimizer: { name: this.spec.kind, slots, scalars: { step: this.step } },
      config: this.config,
      progress: prog,
    });
  }

  /** Load checkpoint files written by `save` (same model); returns the saved progress. */
  load(files: Readonly<Record<string, Uint8Array>>): TrainingProgress {
    const ck = parseCheckpoint(files);
    for (const p of this.params) {
      const t = ck.params[p.name];
      if (!t) throw new Error(`checkpoint: no parameter "${p.name}" (it has ${Object.keys(ck.params).join(', ')})`);
      this.executor.write(p.name, t.data);
    }
    for (const s of this.slots) {
      const t = ck.optimizer.slots[s.param]?.[s.slot];
      if (!t) throw new Error(`checkpoint: no optimizer state "${s.param}.${s.slot}"`);
      this.executor.write(s.value.name, t.data);
    }
    this.step = ck.progress.step;
    const ex = ck.progress.executorSteps;
    this.executor.stepCount = typeof ex === 'number' ? ex : this.step;
    return ck.progress;
  }

  /**
   * Restore from parameters by name (e.g. read from a Hugging Face model file and brought back to
   * our layouts) and an `optimizer.safetensors` as `save` writes it; returns `progress` with the
   * restored step. Weights, optimizer state and step then continue exactly.
   */
  restore(
    params: Readonly<Record<string, { shape: readonly number[]; data: Float32Array }>>,
    optimizerFile: Uint8Array,
    progress: TrainingProgress,
  ): TrainingProgress {
    const slots: Record<string, Record<string, { shape: number[]; data: Float32Array }>> = {};
    const scalars: Record<string, number> = {};
    for (const [name, t] of loadSafetensors(optimizerFile).tensors) {
      const dot = name.lastIndexOf('.');
      if (dot < 0) scalars[name] = Number(t.data[0]);
      else if (t.data instanceof Float32Array)
        (slots[name.slice(0, dot)] ??= {})[name.slice(dot + 1)] = { shape: [...t.shape], data: t.data };
      else throw new Error(`optimizer.safetensors: "${name}" is ${t.dtype}, expected F32`);
    }
    const own: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of Object.entries(params)) own[n] = { shape: [...t.shape], data: t.data };
    return this.load(
      buildCheckpoint({ params: own, optimizer: { name: this.spec.kind, slots, scalars }, config: {}, progress }),
    );
  }

  destroy(): void {
    this.executor.destroy();
  }
}
