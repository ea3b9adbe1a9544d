// LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", arXiv:2106.09685):
// a frozen Linear y = x·W + b learns through a rank-r update
//   y = x·W + b + (α/r) · dropout(x)·A·B          A (in, r), B (r, out)
// A starts U(±1/√in) (what PEFT's kaiming_uniform_(a=√5) gives its (r, in) lora_A), B starts at
// zero, so at step 0 the adapted model computes the base model's numbers exactly. Linears that
// read the same input may share one A: GPT-2's fused c_attn is one Linear of width 3D to
// Hugging Face and three (q, k, v) here, so its adapter is one A and a slice of B per Linear, and
// dropout(x)·A is computed once. Every parameter that is not an adapter's is frozen (no gradient
// is computed for it and the optimizer keeps no state for it).
//
// Names: the adapter of module M (Hugging Face's module name, e.g. transformer.h.0.attn.c_attn)
// owns `M.lora_A` (in, r) and `M.lora_B` (r, out), or `M.lora_B.<slot>` per Linear when shared.
// lora_peft.ts turns them into PEFT's adapter files.
import type { Graph, Value } from '../graph/graph';
import { InputError } from '../util/errors';
import { Rng } from '../util/prng';
import { uniform, zeros } from './init';
import { Dropout, type Linear } from './layers';

export interface LoraConfig {
  /** Rank r of the update. */
  r: number;
  /** α: the update is scaled by α / r (PEFT's lora_alpha). */
  alpha: number;
  /** Dropout on the adapter's input (PEFT's lora_dropout). */
  dropout: number;
  /** PEFT's target_modules: module M is adapted when M is a target or ends with "." + target. */
  targets: string[];
}

/** A module a model offers for adaptation: its Hugging Face name and our Linears behind it. */
export interface LoraModule {
  module: string;
  linears: Linear[];
  /** Names of the B slices when several Linears share the module (e.g. query, key, value). */
  slots?: string[];
}

/** The rules of a LoRA config, in one place (the CLI checks its flags with this). */
export function checkLoraConfig(c: LoraConfig): void {
  const bad = (why: string): never => {
    throw new InputError(`lora: ${why}`);
  };
  if (!Number.isInteger(c.r) || c.r < 1) bad(`rank r must be a positive integer, got ${String(c.r)}`);
  if (!(c.alpha > 0)) bad(`alpha must be positive, got ${String(c.alpha)}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad(`dropout must be in [0, 1), got ${String(c.dropout)}`);
  if (!c.targets.length || c.targets.some((t) => !t)) bad('target modules must be a non-empty list of names');
}

/** PEFT's matching of a list of target_modules against a module name. */
export function isTarget(module: string, targets: readonly string[]): boolean {
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

/**
 * The modules `targets` picks (PEFT's rule); throws, naming the targets and the kinds of module
 * on offer, when it picks none.
 */
export function matchTargets(modules: readonly string[], targets: readonly string[]): string[] {
  const chosen = modules.filter((m) => isTarget(m, targets));
  if (!chosen.length) {
    const kinds = [...new Set(modules.map((m) => m.split('.').slice(-2).join('.')))];
    throw new InputError(`lora: no module matches the targets ${targets.join(', ')} (modules: ${kinds.join(', ')})`);
  }
  return chosen;
}

/** One module's adapter: A shared by its Linears, one B per Linear. */
export class LoraAdapter {
  readonly A: Value;
  readonly B: Value[];
  readonly scale: number;
  readonly inFeatures: number;
  readonly outs: number[];
  private readonly drop: Dropout;
  /** dropout(x)·A per input value, so Linears sharing the input share the product. */
  private readonly down = new Map<Value, Value>();

  constructor(
    readonly g: Graph,
    readonly spec: LoraModule,
    c: LoraConfig,
    rng: Rng,
    dropoutSeed: number,
  ) {
    const lin = spec.linears;
    this.inFeatures = lin[0]!.inFeatures;
    if (lin.some((l) => l.inFeatures !== this.inFeatures))
      throw new InputError(`lora: the Linears of ${spec.module} do not share an input width`);
    if (lin.length > 1 && spec.slots?.length !== lin.length)
      throw new InputError(
        `lora: ${spec.module} shares one adapter among ${lin.length} Linears and needs a slot name each`,
      );
    this.outs = lin.map((l) => l.outFeatures);
    this.scale = c.alpha / c.r;
    this.A = g.param(`${spec.module}.lora_A`, [this.inFeatures, c.r], uniform(rng, 1 / Math.sqrt(this.inFeatures)));
    this.B = lin.map((l, j) =>
      g.param(
        lin.length > 1 ? `${spec.module}.lora_B.${spec.slots![j]}` : `${spec.module}.lora_B`,
        [c.r, l.outFeatures],
        zeros,
      ),
    );
    this.drop = new Dropout(g, c.dropout, dropoutSeed);
    lin.forEach((l, j) => {
      if (l.delta) throw new InputError(`lora: ${spec.module} already has an adapter`);
      l.delta = (x) => this.delta(x, j);
    });
  }

  /** (α/r) · dropout(x)·A·B_j: x (rows, in) → (rows, out_j). */
  delta(x: Value, j: number): Value {
    const g = this.g;
    let d = this.down.get(x);
    if (!d) {
      d = g.op('matmul', [this.drop.forward(x), this.A], {});
      this.down.set(x, d);
    }
    return g.op('unary', [g.op('matmul', [d, this.B[j]!], {})], { op: 'affine', alpha: this.scale, beta: 0 });
  }

  /** Parameter names: A first, then the B slices in order. */
  get names(): string[] {
    return [this.A.name, ...this.B.map((b) => b.name)];
  }
}

/**
 * Adapt the offered modules that match `c.targets` and freeze every other parameter of `g`.
 * Throws, naming the targets and the modules on offer, when nothing matches.
 */
export function attachLora(g: Graph, offered: LoraModule[], c: LoraConfig, seed: number): LoraAdapter[] {
  checkLoraConfig(c);
  const rng = new Rng(seed, 0x10a);
  const names = new Set(
    matchTargets(
      offered.map((m) => m.module),
      c.targets,
    ),
  );
  const chosen = offered.filter((m) => names.has(m.module));
  const adapters = chosen.map((m, i) => new LoraAdapter(g, m, c, rng, (seed * 4099 + i + 1) >>> 0));
  const own = new Set(adapters.flatMap((a) => a.names));
  g.freeze((name) => !own.has(name));
  return adapters;
}

/** The shape facts of an adapter the host-side conversions need (no graph). */
export interface LoraShape {
  module: string;
  inFeatures: number;
  outs: number[];
  /** Our names: A, then one per B slice. */
  names: string[];
  scale: number;
}

export function loraShapes(adapters: readonly LoraAdapter[]): LoraShape[] {
  return adapters.map((a) => ({
    module: a.spec.module,
    inFeatures: a.inFeatures,
    outs: [...a.outs],
    names: a.names,
    scale: a.scale,
  }));
}

/** W + scale·A·B for W (in, out), A (in, r), B (r, out), all row-major: the merged weight. */
export function mergeLora(W: Float32Array, A: Float32Array, B: Float32Array, r: number, scale: number): Float32Array {
  const inF = A.length / r;
  const outF = B.length / r;
  if (W.length !== inF * outF) throw new InputError(`lora merge: W has ${W.length} values, A·B has ${inF}×${outF}`);
  const out = Float32Array.from(W);
  for (let i = 0; i < inF; i++)
    for (let k = 0; k < r; k++) {
      const a = scale * A[i * r + k]!;
      if (a === 0) continue;
      for (let o = 0; o < outF; o++) out[i * outF + o] = out[i * outF + o]! + a * B[k * outF + o]!;
    }
  return out;
}
