// attention: flash-style multi-head attention O = softmax(scale·Q·Kᵀ + mask)·V over (B,H,T,d)
// tensors, with causal and key-padding masks (shaders/attention.wgsl). Forward saves O and the
// logsumexp L (B,H,Tq) for backward, never the Tq×Tk probabilities; backward is a prep pass
// (D = rowsum(dO ⊙ O)), a dQ pass over query rows and a dK/dV pass over key rows, no atomics.
// Kernel variant and block sizes default to ctx.tuning (attention.*).
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { expectRank, expectShape } from '../util/shape';
import type { BindingValue, Recorder } from '../gpu/recorder';
import type { CompiledKernel } from '../gpu/pipelines';
import type { GpuContext } from '../gpu/device';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { defineOps, like, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/attention';

/** The largest head dimension the kernels hold in registers (d = 4·HD4, HD4 ≤ 32). */
export const ATTENTION_MAX_HEAD_DIM = 128;

export interface AttentionOptions {
  /** Query i sees keys j ≤ i + (Tk − Tq) (Tq = Tk: j ≤ i). */
  causal?: boolean;
  /**
   * Key padding: an i32 tensor (B) of per-batch key lengths; keys j ≥ kvLen[b] are hidden from
   * every query of batch b (values are clamped to [0, Tk]). A query row that sees no key at all
   * gets output 0, logsumexp −∞ and zero gradients.
   */
  kvLen?: Tensor;
  /** Score scale; default 1/√d. */
  scale?: number;
  /** Kernel variant: stage key/query blocks in workgroup memory (for GPUs that like shared-memory tiles). Default: attention.tile (false). */
  tile?: boolean;
  /** Rows per workgroup (default attention.wg, 64) and rows per block (default attention.bkTiled, 16, when tiled, else attention.bk, 64; tiled blocks must fit workgroup memory). */
  wg?: number;
  bk?: number;
}

export interface AttentionDims {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  d: number;
}

/** attention's shape rule: q (B,H,Tq,d), k and v (B,H,Tk,d) f32, d ≤ 128 and a multiple of 4, kvLen (B) i32, a finite scale. */
export function attentionShape(
  op: string,
  q: Typed,
  k: Typed,
  v: Typed,
  kvLen: Typed | undefined,
  scale: number | undefined,
): AttentionDims {
  expectDType(op, 'q', q, 'f32');
  expectDType(op, 'k', k, 'f32');
  expectDType(op, 'v', v, 'f32');
  expectRank(op, 'q', q.shape, 4);
  expectRank(op, 'k', k.shape, 4);
  const [B, H, Tq, d] = q.shape as [number, number, number, number];
  const Tk = k.shape[2]!;
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== d) {
    throw new ShapeError(
      op,
      `k ${fmtShape(k.shape)} does not match q ${fmtShape(q.shape)}: want (B, H, Tk, d) = [${B}, ${H}, Tk, ${d}]`,
    );
  }
  expectShape(op, 'v', v.shape, k.shape);
  if (d > ATTENTION_MAX_HEAD_DIM)
    throw new ShapeError(op, `head dim d = ${d} (q ${fmtShape(q.shape)}) is past the limit ${ATTENTION_MAX_HEAD_DIM}`);
  if (d % 4 !== 0) throw new ShapeError(op, `head dim d = ${d} (q ${fmtShape(q.shape)}) must be a multiple of 4`);
  if (kvLen) {
    expectDType(op, 'kvLen', kvLen, 'i32');
    expectShape(op, 'kvLen', kvLen.shape, [B]);
  }
  if (scale !== undefined && !Number.isFinite(scale)) throw new ShapeError(op, `scale must be finite, got ${scale}`);
  return { B, H, Tq, Tk, d };
}

/** Kernel variant and block sizes of one call: the options over ctx.tuning. */
interface LaunchConfig {
  tile: boolean;
  wg: number;
  bk: number;
}

function launchConfig(op: string, ctx: GpuContext, d: number, o: AttentionOptions): LaunchConfig {
  const t = ctx.tuning;
  const tile = o.tile ?? t['attention.tile'];
  const wg = o.wg ?? t['attention.wg'];
  const bk = o.bk ?? (tile ? t['attention.bkTiled'] : t['attention.bk']);
  if (!Number.isInteger(wg) || wg < 1 || wg > 256)
    throw new ShapeError(op, `wg must be an integer in [1, 256], got ${wg}`);
  if (!Number.isInteger(bk) || bk < 1 || bk > 1024)
    throw new ShapeError(op, `bk must be an integer in [1, 1024], got ${bk}`);
  if (tile) {
    // tile_a and tile_b hold bk rows of d floats each, tile_s bk vec2
    const bytes = 2 * bk * d * 4 + 8 * bk;
    const lim = ctx.limits.maxComputeWorkgroupStorageSize;
    if (bytes > lim)
      throw new LimitError(
        op,
        `workgroup memory for tiled blocks of bk=${bk} rows at d=${d} (bytes)`,
        bytes,
        'maxComputeWorkgroupStorageSize',
        lim,
      );
  }
  return { tile, wg, bk };
}

/** attention_backward's shape rule: attention's, and dout f32 like q, out f32 like q, lse f32 (B,H,Tq). */
export function attentionBackwardShape(
  op: string,
  dout: Typed,
  q: Typed,
  k: Typed,
  v: Typed,
  out: Typed,
  lse: Typed,
  kvLen: Typed | undefined,
  scale: number | undefined,
): AttentionDims {
  const s = attentionShape(op, q, k, v, kvLen, scale);
  expectDType(op, 'dout', dout, 'f32');
  expectShape(op, 'dout', dout.shape, q.shape);
  checkOut(op, 'out', out, q.shape);
  checkOut(op, 'lse', lse, [s.B, s.H, s.Tq]);
  return s;
}

function kernelFor(
  rec: Recorder,
  op: string,
  entry: string,
  s: AttentionDims & { c: LaunchConfig },
  o: AttentionOptions,
): Promise<CompiledKernel> {
  return kernel(rec, op, 'attention', entry, {
    WG: s.c.wg,
    BK: s.c.bk,
    HD4: s.d / 4,
    CAUSAL: Boolean(o.causal),
    KEY_PAD: Boolean(o.kvLen),
    TILE: s.c.tile,
  });
}

function uniforms(s: AttentionDims, o: AttentionOptions, rows: number, wg: number): Record<string, number> {
  return {
    bh: s.B * s.H,
    heads: s.H,
    tq: s.Tq,
    tk: s.Tk,
    nblk: Math.ceil(rows / wg),
    scale: o.scale ?? 1 / Math.sqrt(s.d),
  };
}

/** Visible (query, key) pairs, counted without padding (its lengths live on the GPU). */
function pairs(s: AttentionDims, causal: boolean): number {
  if (!causal) return s.B * s.H * s.Tq * s.Tk;
  let n = 0;
  for (let i = 0; i < s.Tq; i++) n += Math.max(0, Math.min(s.Tk, i + 1 + s.Tk - s.Tq));
  return s.B * s.H * n;
}

/** vec4 arrays need a 16-byte binding even when empty (Tk = 0 still runs forward: L = −∞). */
function bind(t: Tensor): BindingValue {
  return t.size === 0 ? { buffer: t.buffer, offset: 0, size: 16 } : t;
}

function checkOut(op: string, name: string, t: Typed | undefined, shape: readonly number[]): void {
  if (!t) return;
  expectDType(op, name, t, 'f32');
  expectShape(op, name, t.shape, shape);
}

// q is (B,H,Tq,d), k and v are (B,H,Tk,d); out is (B,H,Tq,d) and lse (B,H,Tq), both saved for backward.
export async function attentionForward(
  rec: Recorder,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: AttentionOptions = {},
  dst: { out?: Tensor; lse?: Tensor } = {},
): Promise<{ out: Tensor; lse: Tensor }> {
  const op = 'attention';
  const shape = attentionShape(op, q, k, v, opts.kvLen, opts.scale);
  const s = { ...shape, c: launchConfig(op, rec.ctx, shape.d, opts) };
  checkOut(op, 'out', dst.out, q.shape);
  checkOut(op, 'lse', dst.lse, [s.B, s.H, s.Tq]);
  const kern = s.B * s.H * s.Tq === 0 ? null : await kernelFor(rec, op, 'attention_fwd', s, opts);
  const out = dst.out ?? emptyTensor(rec.ctx, q.shape, 'f32', `${op}.out`);
  const lse = dst.lse ?? emptyTensor(rec.ctx, [s.B, s.H, s.Tq], 'f32', `${op}.lse`);
  if (!kern) return { out, lse };
  const wg = kern.workgroupSize[0];
  const np = pairs(s, Boolean(opts.causal));
  rec.dispatch({
    kernel: kern,
    op,
    bindings: { q, k: bind(k), v: bind(v), kv_len: opts.kvLen ?? bind(k), out, lse },
    uniforms: uniforms(s, opts, s.Tq, wg),
    workgroups: s.B * s.H * Math.ceil(s.Tq / wg),
    cost: { flops: 4 * s.d * np, bytes: 4 * (2 * q.size + k.size + v.size + lse.size) },
  });
  return { out, lse };
}

// dS = P ⊙ (dO·Vᵀ − rowsum(dO ⊙ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dO.
// `stats` (B,H,Tq,2) holds (L·log2 e, D) between the passes: pass dst.stats, or release the
// returned one after the submit.
export async function attentionBackward(
  rec: Recorder,
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  opts: AttentionOptions = {},
  dst: { dq?: Tensor; dk?: Tensor; dv?: Tensor; stats?: Tensor } = {},
): Promise<{ dq: Tensor; dk: Tensor; dv: Tensor; stats: Tensor }> {
  const op = 'attention_backward';
  const shape = attentionBackwardShape(op, dout, q, k, v, out, lse, opts.kvLen, opts.scale);
  const s = { ...shape, c: launchConfig(op, rec.ctx, shape.d, opts) };
  checkOut(op, 'dq', dst.dq, q.shape);
  checkOut(op, 'dk', dst.dk, k.shape);
  checkOut(op, 'dv', dst.dv, v.shape);
  checkOut(op, 'stats', dst.stats, [s.B, s.H, s.Tq, 2]);
  const empty = s.B * s.H * s.Tq * s.Tk === 0;
  const kerns = empty
    ? null
    : await Promise.all(
        ['attention_bwd_prep', 'attention_bwd_dq', 'attention_bwd_dkv'].map((e) => kernelFor(rec, op, e, s, opts)),
      );
  const dq = dst.dq ?? emptyTensor(rec.ctx, q.shape, 'f32', `${op}.dq`);
  const dk = dst.dk ?? emptyTensor(rec.ctx, k.shape, 'f32', `${op}.dk`);
  const dv = dst.dv ?? emptyTensor(rec.ctx, v.shape, 'f32', `${op}.dv`);
  const stats = dst.stats ?? emptyTensor(rec.ctx, [s.B, s.H, s.Tq, 2], 'f32', `${op}.stats`);
  if (!kerns) {
    // No pairs at all: gradients are zero (Tk = 0 leaves dq zero; Tq = 0 leaves dk, dv zero).
    rec.clear(dq);
    rec.clear(dk);
    rec.clear(dv);
    return { dq, dk, dv, stats };
  }
  const [prep, kdq, kdkv] = kerns as [CompiledKernel, CompiledKernel, CompiledKernel];
  const kvLen = opts.kvLen ?? k;
  const rows = s.B * s.H * s.Tq;
  const np = pairs(s, Boolean(opts.causal));
  rec.dispatch({
    kernel: prep,
    op,
    bindings: { dout, saved_out: out, saved_lse: lse, stats },
    uniforms: uniforms(s, opts, s.Tq, prep.workgroupSize[0]),
    workgroups: groups(rows, prep.workgroupSize[0]),
    cost: { flops: 2 * rows * s.d, bytes: 4 * (2 * dout.size + 3 * rows) },
  });
  rec.dispatch({
    kernel: kdq,
    op,
    bindings: { q, k, v, kv_len: kvLen, dout, saved_stats: stats, dq },
    uniforms: uniforms(s, opts, s.Tq, kdq.workgroupSize[0]),
    workgroups: s.B * s.H * Math.ceil(s.Tq / kdq.workgroupSize[0]),
    cost: { flops: 6 * s.d * np, bytes: 4 * (3 * q.size + 2 * k.size + stats.size) },
  });
  rec.dispatch({
    kernel: kdkv,
    op,
    bindings: { q, k, v, kv_len: kvLen, dout, saved_stats: stats, dk, dv },
    uniforms: uniforms(s, opts, s.Tk, kdkv.workgroupSize[0]),
    workgroups: s.B * s.H * Math.ceil(s.Tk / kdkv.workgroupSize[0]),
    cost: { flops: 8 * s.d * np, bytes: 4 * (2 * q.size + 4 * k.size + stats.size) },
  });
  return { dq, dk, dv, stats };
}

function refShape(q: Typed, k: Typed): ref.AttentionShape {
  const [B, H, Tq, d] = q.shape as [number, number, number, number];
  return { B, H, Tq, Tk: k.shape[2]!, d };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    attention: { causal: boolean; scale?: number };
    attention_backward: { causal: boolean; scale?: number };
  }
}

export const attentionOps = defineOps({
  attention: {
    inputs: ['q', 'k', 'v', 'kvLen?'],
    infer: ([q, k, v, kvLen], a): TypeInfo[] => {
      const s = attentionShape('attention', q!, k!, v!, kvLen, a.scale);
      return [like(q!), { shape: [s.B, s.H, s.Tq], dtype: 'f32' }];
    },
    encode: async (rec, [q, k, v, kvLen], [out, lse], a) =>
      void (await attentionForward(rec, q!, k!, v!, { causal: a.causal, scale: a.scale, kvLen }, { out, lse })),
    // saves out and the logsumexp; backward recomputes P block by block (FlashAttention-2)
    backward: (b, [q, k, v, kvLen], [out, lse], [dout], a) => {
      if (!dout) return [null, null, null, ...(kvLen ? [null] : [])];
      const [dq, dk, dv] = b.apply(
        'attention_backward',
        kvLen ? [dout, q!, k!, v!, out!, lse!, kvLen] : [dout, q!, k!, v!, out!, lse!],
        a,
      );
      return [dq!, dk!, dv!, ...(kvLen ? [null] : [])];
    },
    reference: ([q, k, v, kvLen], [tq, tk], a) => {
      const r = ref.attentionForward(q!, k!, v!, refShape(tq!, tk!), { causal: a.causal, scale: a.scale, kvLen });
      return [r.out, r.lse];
    },
  },
  attention_backward: {
    inputs: ['dout', 'q', 'k', 'v', 'out', 'lse', 'kvLen?'],
    infer: ([dout, q, k, v, out, lse, kvLen], a) => {
      attentionBackwardShape('attention_backward', dout!, q!, k!, v!, out!, lse!, kvLen, a.scale);
      return [like(q!), like(k!), like(v!)];
    },
    encode: async (rec, [dout, q, k, v, out, lse, kvLen], [dq, dk, dv], a) => {
      const r = await attentionBackward(
        rec,
        dout!,
        q!,
        k!,
        v!,
        out!,
        lse!,
        { causal: a.causal, scale: a.scale, kvLen },
        { dq, dk, dv },
      );
      rec.releaseAfterSubmit(r.stats);
    },
    backward: 'second derivatives of attention are not implemented',
    reference: ([dout, q, k, v, , , kvLen], [, tq, tk], a) => {
      const r = ref.attentionBackward(dout!, q!, k!, v!, refShape(tq!, tk!), {
        causal: a.causal,
        scale: a.scale,
        kvLen,
      });
      return [r.dq, r.dk, r.dv];
    },
  },
});
