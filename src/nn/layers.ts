// Layers as small classes over a Graph: each creates its named parameters once (the names are
// what checkpoints store) and adds nodes in `forward`. Shapes: activations are 2-D (rows, C)
// with rows = B·T; attention reshapes to (B, H, T, d) inside.
import type { Graph, Value } from '../graph/graph';
import type { UnaryOp } from '../reference/elementwise';
import { Rng } from '../util/prng';
import { ShapeError, fmtShape } from '../util/errors';
import { normal, ones, uniform, zeros, type Init } from './init';

export interface LinearOptions {
  bias?: boolean;
  /** Weight initializer; default PyTorch's U(±1/√in). */
  init?: Init;
  biasInit?: Init;
}

/** y = x·W + b with W stored (in, out). */
export class Linear {
  readonly weight: Value;
  readonly bias: Value | null;
  /** An update added to the output, e.g. a LoRA adapter's low-rank term (src/nn/lora.ts). */
  delta: ((x: Value) => Value) | null = null;
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    o: LinearOptions = {},
  ) {
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = g.param(`${name}.weight`, [inFeatures, outFeatures], o.init ?? uniform(rng, bound));
    this.bias = o.bias === false ? null : g.param(`${name}.bias`, [outFeatures], o.biasInit ?? uniform(rng, bound));
  }
  forward(x: Value): Value {
    const y = this.bias
      ? this.g.op('linear', [x, this.weight, this.bias], {})
      : this.g.op('matmul', [x, this.weight], {});
    return this.delta ? this.g.op('binary', [y, this.delta(x)], { op: 'add' }) : y;
  }
}

/** Rows of a (V, D) table gathered by i32 ids. */
export class Embedding {
  readonly weight: Value;
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly vocab: number,
    readonly dim: number,
    rng: Rng,
    init?: Init,
  ) {
    this.weight = g.param(`${name}.weight`, [vocab, dim], init ?? normal(rng, 1));
  }
  forward(ids: Value): Value {
    return this.g.op('embedding', [this.weight, ids], {});
  }
}

export class LayerNorm {
  readonly weight: Value;
  readonly bias: Value;
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    this.weight = g.param(`${name}.weight`, [dim], ones);
    this.bias = g.param(`${name}.bias`, [dim], zeros);
  }
  forward(x: Value): Value {
    return this.g.apply('layernorm', [x, this.weight, this.bias], { eps: this.eps })[0]!;
  }
}

/** Inverted dropout; `p = 0` adds no node. The mask changes every step (executor step count). */
export class Dropout {
  constructor(
    readonly g: Graph,
    readonly p: number,
    readonly seed: number,
  ) {}
  forward(x: Value): Value {
    return this.p > 0 ? this.g.op('dropout', [x], { p: this.p, seed: this.seed }) : x;
  }
}

export function activation(g: Graph, op: UnaryOp, x: Value, alpha?: number): Value {
  return g.op('unary', [x], alpha === undefined ? { op } : { op, alpha });
}

export interface MlpOptions extends LinearOptions {
  act?: UnaryOp;
  /** Initializer of the second (output) projection, e.g. GPT-2's scaled residual init. */
  outInit?: Init;
  dropout?: number;
  seed?: number;
}

/** Linear → activation → Linear (→ dropout). */
export class Mlp {
  readonly fc: Linear;
  readonly proj: Linear;
  readonly drop: Dropout;
  constructor(
    readonly g: Graph,
    readonly name: string,
    dim: number,
    hidden: number,
    out: number,
    rng: Rng,
    readonly o: MlpOptions = {},
  ) {
    this.fc = new Linear(g, `${name}.fc`, dim, hidden, rng, o);
    this.proj = new Linear(g, `${name}.proj`, hidden, out, rng, { ...o, init: o.outInit ?? o.init });
    this.drop = new Dropout(g, o.dropout ?? 0, o.seed ?? 0);
  }
  forward(x: Value): Value {
    return this.drop.forward(this.proj.forward(activation(this.g, this.o.act ?? 'gelu', this.fc.forward(x))));
  }
}

export interface AttentionOptions extends LinearOptions {
  causal?: boolean;
  outInit?: Init;
  dropout?: number;
  seed?: number;
}

/** Multi-head attention on the flash-attention kernels: x (B·T, C) → (B·T, C). */
export class MultiHeadAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly drop: Dropout;
  readonly headDim: number;
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly dim: number,
    readonly heads: number,
    rng: Rng,
    readonly o: AttentionOptions = {},
  ) {
    if (dim % heads !== 0)
      throw new ShapeError('attention', `embedding size ${dim} is not divisible by ${heads} heads`);
    this.headDim = dim / heads;
    this.q = new Linear(g, `${name}.query`, dim, dim, rng, o);
    this.k = new Linear(g, `${name}.key`, dim, dim, rng, o);
    this.v = new Linear(g, `${name}.value`, dim, dim, rng, o);
    this.out = new Linear(g, `${name}.out`, dim, dim, rng, { ...o, init: o.outInit ?? o.init });
    this.drop = new Dropout(g, o.dropout ?? 0, o.seed ?? 0);
  }

  /** x is (B·T, C); kvLen (B, i32) hides padded keys; returns (B·T, C). */
  forward(x: Value, B: number, T: number, kvLen?: Value): Value {
    const g = this.g;
    if (x.shape[0] !== B * T || x.shape[1] !== this.dim)
      throw new ShapeError('attention', `x ${fmtShape(x.shape)} must be [${B * T}, ${this.dim}] for B=${B}, T=${T}`);
    const split = (v: Value): Value =>
      g.op('permute', [g.op('reshape', [v], { shape: [B, T, this.heads, this.headDim] })], { perm: [0, 2, 1, 3] });
    const ins = [split(this.q.forward(x)), split(this.k.forward(x)), split(this.v.forward(x))];
    if (kvLen) ins.push(kvLen);
    const [att] = g.apply('attention', ins, { causal: this.o.causal ?? false });
    const merged = g.op('reshape', [g.op('permute', [att!], { perm: [0, 2, 1, 3] })], { shape: [B * T, this.dim] });
    return this.drop.forward(this.out.forward(merged));
  }
}

export interface BlockOptions {
  causal?: boolean;
  dropout?: number;
  seed?: number;
  /** Hidden size of the MLP (default 4·dim). */
  hidden?: number;
  init?: Init;
  outInit?: Init;
  bias?: boolean;
}

/** Pre-LN transformer block: x + attn(ln1(x)), then + mlp(ln2(x)). */
export class TransformerBlock {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;
  constructor(
    readonly g: Graph,
    readonly name: string,
    dim: number,
    heads: number,
    rng: Rng,
    o: BlockOptions = {},
  ) {
    const common = {
      init: o.init,
      outInit: o.outInit,
      bias: o.bias,
      dropout: o.dropout,
      biasInit: o.bias === false ? undefined : zeros,
    };
    this.ln1 = new LayerNorm(g, `${name}.ln_1`, dim);
    this.attn = new MultiHeadAttention(g, `${name}.attn`, dim, heads, rng, {
      ...common,
      causal: o.causal,
      seed: (o.seed ?? 0) * 2 + 1,
    });
    this.ln2 = new LayerNorm(g, `${name}.ln_2`, dim);
    this.mlp = new Mlp(g, `${name}.mlp`, dim, o.hidden ?? 4 * dim, dim, rng, {
      ...common,
      act: 'gelu',
      seed: (o.seed ?? 0) * 2 + 2,
    });
  }
  forward(x: Value, B: number, T: number, kvLen?: Value): Value {
    const g = this.g;
    const h = g.op('binary', [x, this.attn.forward(this.ln1.forward(x), B, T, kvLen)], { op: 'add' });
    return g.op('binary', [h, this.mlp.forward(this.ln2.forward(h))], { op: 'add' });
  }
}

export { Rng };
