// optimizer: in-place parameter updates (Adam / AdamW, SGD with momentum / Nesterov, plain SGD),
// PyTorch semantics, one dispatch per parameter tensor. No backward: these are the last nodes
// of a training step.
//
// Per-step scalars (lr, step t, bias corrections) live in a StepScalars buffer that the host
// rewrites with queue.writeBuffer before each submit, so one recorded step can be replayed with
// a new learning rate and step count without recompiling or creating any GPU object. One
// StepScalars can serve every parameter tensor that shares (lr, t, β1, β2), e.g. a group with
// weight decay and a group without. Static hyperparameters go in the kernel's uniform struct.
//
// Gradient scale: an optional 1-element f32 tensor (e.g. the global-norm clip factor computed on
// the GPU) multiplies the gradient before anything else. The kernel always binds one; without
// it, a per-context tensor holding 1.0 (created once, on first use) is bound.
// Workgroup size and elements per invocation come from ctx.tuning (optimizer.wg, optimizer.per).
import { ShapeError, fmtShape } from '../util/errors';
import { expectShape, numel, sameShape } from '../util/shape';
import type { GpuContext } from '../gpu/device';
import type { DispatchArgs, Recorder } from '../gpu/recorder';
import { emptyTensor, tensorFrom, type Tensor } from '../gpu/tensor';
import * as ref from '../reference/optimizer';
import { MAX_U32, expectDType, groups } from './common';
import { defineOps, type Typed } from './registry_types';

/** Workgroup size and elements per invocation of shaders/optimizer.wgsl (override constants). */
function tile(ctx: GpuContext): { WG: number; PER: number } {
  return { WG: ctx.tuning['optimizer.wg'], PER: ctx.tuning['optimizer.per'] };
}

/** Largest step count held exactly by the f32 `t` field of StepScalars. */
export const MAX_STEP = 2 ** 24;

/**
 * The per-step scalars of one optimizer: a 4-float storage tensor [lr, 1 − β1^t, 1 − β2^t, t]
 * (the StepScalars struct of shaders/optimizer.wgsl). The bias corrections are computed here in
 * float64 (f32 would lose ~1e-5 to cancellation in 1 − 0.999^t). `set` is one writeBuffer.
 */
export class StepScalars {
  readonly tensor: Tensor;
  lr = Number.NaN;
  t = 0;

  constructor(
    readonly ctx: GpuContext,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    label = 'optimizer.scalars',
    /** An existing 4-float tensor to use (a graph input the trainer writes each step). */
    tensor?: Tensor,
  ) {
    for (const [k, b] of [
      ['beta1', beta1],
      ['beta2', beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new ShapeError('optimizer', `StepScalars ${k} must be in [0, 1), got ${b}`);
    }
    if (tensor) {
      expectDType('optimizer', 'scalars', tensor, 'f32');
      expectShape('optimizer', 'scalars', tensor.shape, [4]);
    }
    this.tensor = tensor ?? emptyTensor(ctx, [4], 'f32', label);
  }

  /** The four values `set` writes: [lr, 1 − β1^t, 1 − β2^t, t]. */
  static values(lr: number, t: number, beta1: number, beta2: number): Float32Array {
    return new Float32Array([lr, ref.biasCorrection(beta1, t), ref.biasCorrection(beta2, t), t]);
  }

  /** Set the learning rate and step number t (1, 2, …) of the next step(s) submitted. */
  set(lr: number, t: number): void {
    if (!Number.isFinite(lr)) throw new ShapeError('optimizer', `learning rate must be finite, got ${lr}`);
    if (!Number.isInteger(t) || t < 1 || t > MAX_STEP)
      throw new ShapeError('optimizer', `step t must be an integer in [1, ${MAX_STEP}], got ${t}`);
    if (this.tensor.isReleased) throw new ShapeError('optimizer', `StepScalars ${this.tensor.label} was released`);
    this.lr = lr;
    this.t = t;
    const data = StepScalars.values(lr, t, this.beta1, this.beta2);
    this.ctx.device.queue.writeBuffer(this.tensor.buffer, 0, data.buffer, 0, data.byteLength);
  }

  release(): void {
    this.tensor.release();
  }
}

const unitScales = new WeakMap<GpuContext, Tensor>();

/** The 1-element tensor holding 1.0 bound when no gradient scale is given (one per context). */
export function unitGradScale(ctx: GpuContext): Tensor {
  let t = unitScales.get(ctx);
  if (!t || t.isReleased) {
    t = tensorFrom(ctx, [1], [1], 'f32', 'optimizer.unit_scale');
    unitScales.set(ctx, t);
  }
  return t;
}

export interface AdamOptions {
  /** Defaults follow torch.optim.AdamW: β1 0.9, β2 0.999, eps 1e-8; weightDecay default 0. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** true (default): AdamW, p ← p − lr·wd·p. false: Adam with L2, g ← g + wd·p. */
  decoupled?: boolean;
  /** 1-element f32 tensor multiplying the gradient (clip factor); default 1. */
  gradScale?: Tensor;
}

export interface SgdOptions {
  /** Defaults follow torch.optim.SGD: all 0, nesterov false. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  gradScale?: Tensor;
}

/** The optimizers' shape rule: param f32, each state tensor (grad, m, v, buf) f32 shaped like it; no outputs (in place). */
export function optimizerShape(op: string, param: Typed, named: Record<string, Typed>): void {
  expectDType(op, 'param', param, 'f32');
  for (const [name, t] of Object.entries(named)) {
    expectDType(op, name, t, 'f32');
    expectShape(op, name, t.shape, param.shape);
  }
  if (numel(param.shape) > MAX_U32)
    throw new ShapeError(op, `param ${fmtShape(param.shape)} has more than ${MAX_U32} elements`);
}

function checkState(op: string, param: Tensor, named: Record<string, Tensor>): void {
  optimizerShape(op, param, named);
  const all: [string, Tensor][] = [['param', param], ...Object.entries(named)];
  for (const [name, t] of all) if (t.isReleased) throw new ShapeError(op, `${name} (${t.label}) was already released`);
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (all[i]![1].buffer === all[j]![1].buffer)
        throw new ShapeError(op, `${all[i]![0]} and ${all[j]![0]} are the same buffer; each must be its own tensor`);
    }
  }
}

function checkCommon(op: string, ctx: GpuContext, scalars: StepScalars, gradScale: Tensor | undefined): Tensor {
  if (scalars.ctx !== ctx) throw new ShapeError(op, 'StepScalars belongs to another GPU context');
  if (scalars.tensor.isReleased) throw new ShapeError(op, `StepScalars ${scalars.tensor.label} was released`);
  if (!gradScale) return unitGradScale(ctx);
  expectDType(op, 'gradScale', gradScale, 'f32');
  if (numel(gradScale.shape) !== 1)
    throw new ShapeError(op, `gradScale has shape ${fmtShape(gradScale.shape)}, expected one element ([1])`);
  if (gradScale.isReleased) throw new ShapeError(op, `gradScale (${gradScale.label}) was already released`);
  return gradScale;
}

function checkRange(op: string, name: string, x: number, lo: number, hi: number, hiOpen: boolean): void {
  const ok = Number.isFinite(x) && x >= lo && (hiOpen ? x < hi : x <= hi);
  if (!ok) throw new ShapeError(op, `${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${x}`);
}

/**
 * The dispatch of one Adam / AdamW step on (param, m, v) with gradient grad, or null for an empty
 * parameter. For executors that bind once and replay; `adamStep` records it directly.
 */
export async function adamStepDispatch(
  ctx: GpuContext,
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  scalars: StepScalars,
  opts: AdamOptions = {},
): Promise<DispatchArgs | null> {
  const decoupled = opts.decoupled ?? true;
  const op = decoupled ? 'adamw' : 'adam';
  const c = { beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: opts.eps ?? 1e-8, wd: opts.weightDecay ?? 0 };
  checkState(op, param, { grad, m, v });
  checkRange(op, 'beta1', c.beta1, 0, 1, true);
  checkRange(op, 'beta2', c.beta2, 0, 1, true);
  checkRange(op, 'eps', c.eps, 0, Infinity, true);
  checkRange(op, 'weightDecay', c.wd, 0, Infinity, true);
  if (scalars.beta1 !== c.beta1 || scalars.beta2 !== c.beta2) {
    throw new ShapeError(
      op,
      `StepScalars was made for betas (${scalars.beta1}, ${scalars.beta2}) but the update uses (${c.beta1}, ${c.beta2}); the bias corrections would be wrong`,
    );
  }
  const gscale = checkCommon(op, ctx, scalars, opts.gradScale);
  const n = param.size;
  if (n === 0) return null;
  const t = tile(ctx);
  const k = await ctx.pipelines.get(
    { shader: 'optimizer', entry: 'adam_step', constants: { ...t, DECOUPLED: decoupled } },
    op,
  );
  return {
    kernel: k,
    op,
    bindings: { param, grad, m, v, scalars: scalars.tensor, gscale },
    uniforms: {
      n,
      beta1: c.beta1,
      beta2: c.beta2,
      one_minus_beta1: 1 - c.beta1,
      one_minus_beta2: 1 - c.beta2,
      eps: c.eps,
      wd: c.wd,
    },
    workgroups: groups(n, t.WG * t.PER),
    // reads p, g, m, v and writes p, m, v; ~17 flops per element (sqrt and divisions as one)
    cost: { flops: 17 * n, bytes: 28 * n },
  };
}

/** One Adam (decoupled: false) or AdamW (default) step, in place on param, m and v. */
export async function adamStep(
  rec: Recorder,
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  scalars: StepScalars,
  opts: AdamOptions = {},
): Promise<void> {
  const d = await adamStepDispatch(rec.ctx, param, grad, m, v, scalars, opts);
  if (d) rec.dispatch(d);
}

/**
 * The dispatch of one SGD step, or null for an empty parameter. `buf` is the momentum buffer
 * (param-shaped, contents ignored on step t = 1); pass null when momentum is 0.
 */
export async function sgdStepDispatch(
  ctx: GpuContext,
  param: Tensor,
  grad: Tensor,
  buf: Tensor | null,
  scalars: StepScalars,
  opts: SgdOptions = {},
): Promise<DispatchArgs | null> {
  const op = 'sgd';
  const c = {
    momentum: opts.momentum ?? 0,
    dampening: opts.dampening ?? 0,
    nesterov: opts.nesterov ?? false,
    wd: opts.weightDecay ?? 0,
  };
  checkState(op, param, buf ? { grad, buf } : { grad });
  checkRange(op, 'momentum', c.momentum, 0, Infinity, true);
  checkRange(op, 'dampening', c.dampening, 0, 1, false);
  checkRange(op, 'weightDecay', c.wd, 0, Infinity, true);
  if (c.nesterov && (c.momentum === 0 || c.dampening !== 0)) {
    throw new ShapeError(
      op,
      `Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${c.momentum}, dampening ${c.dampening}`,
    );
  }
  if (c.momentum !== 0 && !buf)
    throw new ShapeError(
      op,
      `momentum ${c.momentum} needs a momentum buffer shaped like param ${fmtShape(param.shape)}`,
    );
  if (c.momentum === 0 && buf) throw new ShapeError(op, 'a momentum buffer was given but momentum is 0; pass null');
  const gscale = checkCommon(op, ctx, scalars, opts.gradScale);
  const n = param.size;
  if (n === 0) return null;
  const t = tile(ctx);
  const workgroups = groups(n, t.WG * t.PER);
  const uniforms = { n, momentum: c.momentum, one_minus_dampening: 1 - c.dampening, wd: c.wd };
  if (!buf) {
    const k = await ctx.pipelines.get({ shader: 'optimizer', entry: 'sgd_step', constants: { ...t } }, op);
    return {
      kernel: k,
      op,
      bindings: { param, grad, scalars: scalars.tensor, gscale },
      uniforms,
      workgroups,
      cost: { flops: 5 * n, bytes: 12 * n },
    };
  }
  const k = await ctx.pipelines.get(
    { shader: 'optimizer', entry: 'sgd_momentum_step', constants: { ...t, NESTEROV: c.nesterov } },
    op,
  );
  // reads p, g, buf and writes p, buf
  return {
    kernel: k,
    op,
    bindings: { param, grad, buf, scalars: scalars.tensor, gscale },
    uniforms,
    workgroups,
    cost: { flops: 9 * n, bytes: 20 * n },
  };
}

/** One SGD step (momentum, dampening, Nesterov, weight decay as torch.optim.SGD), in place on param and buf. */
export async function sgdStep(
  rec: Recorder,
  param: Tensor,
  grad: Tensor,
  buf: Tensor | null,
  scalars: StepScalars,
  opts: SgdOptions = {},
): Promise<void> {
  const d = await sgdStepDispatch(rec.ctx, param, grad, buf, scalars, opts);
  if (d) rec.dispatch(d);
}

/** The graph optimizers' rule: the state tensors, then `scalars` [4] = [lr, 1−β1^t, 1−β2^t, t]. */
function stepShape(op: string, names: string[], ins: readonly Typed[]): [] {
  optimizerShape(op, ins[0]!, Object.fromEntries(names.slice(1).map((n, i) => [n, ins[i + 1]!])));
  const s = ins[names.length]!;
  if (!sameShape(s.shape, [4]))
    throw new ShapeError(op, `scalars must be [4] = [lr, 1−β1^t, 1−β2^t, t], got ${fmtShape(s.shape)}`);
  return [];
}

// Effects: they update their inputs in place and run after every other node. Per-step values
// (lr, bias corrections, t) come from a 4-float input the trainer writes each step, so the
// captured step never changes.
// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    adam: { beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean };
    sgd: { momentum: number; dampening: number; nesterov: boolean; weightDecay: number };
  }
}

export const optimizerOps = defineOps({
  adam: {
    inputs: ['param', 'grad', 'm', 'v', 'scalars'],
    infer: (ins) => stepShape('adam', ['param', 'grad', 'm', 'v'], ins),
    effect: () => [0, 2, 3],
    encode: async (rec, [p, g, m, v, s], _, a) => {
      const scalars = new StepScalars(rec.ctx, a.beta1, a.beta2, 'adam.scalars', s!);
      await adamStep(rec, p!, g!, m!, v!, scalars, {
        beta1: a.beta1,
        beta2: a.beta2,
        eps: a.eps,
        weightDecay: a.weightDecay,
        decoupled: a.decoupled,
      });
    },
    backward: 'an optimizer update is not differentiated',
    reference: ([p, g, m, v, s], _, a) => {
      const r = ref.adamStep(p!, g!, m!, v!, a, s![0]!, s![3]!);
      return [r.p, r.m, r.v];
    },
  },
  sgd: {
    inputs: ['param', 'grad', 'buf', 'scalars'],
    infer: (ins) => stepShape('sgd', ['param', 'grad', 'buf'], ins),
    effect: () => [0, 2],
    encode: async (rec, [p, g, buf, s], _, a) => {
      const scalars = new StepScalars(rec.ctx, 0.9, 0.999, 'sgd.scalars', s!);
      await sgdStep(rec, p!, g!, a.momentum === 0 ? null : buf!, scalars, a);
    },
    backward: 'an optimizer update is not differentiated',
    reference: ([p, g, buf, s], _, a) => {
      const r = ref.sgdStep(p!, g!, buf!, a, s![0]!, s![3]!);
      return [r.p, r.buf];
    },
  },
});
