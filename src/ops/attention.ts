// attention: flash-style multi-head attention O = softmax(scale·Q·Kᵀ + mask)·V over (B,H,T,d)
// tensors, with causal and key-padding masks (shaders/attention.wgsl). Forward saves O and the
// logsumexp L (B,H,Tq) for backward, never the Tq×Tk probabilities; backward is a prep pass
// (D = rowsum(dO ⊙ O)), a dQ pass over query rows and a dK/dV pass over key rows, no atomics.
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { expectRank, expectShape } from '../util/shape';
import type { BindingValue, Recorder } from '../gpu/recorder';
import type { CompiledKernel } from '../gpu/pipelines';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';

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
  /** Kernel variant: stage key/query blocks in workgroup memory (for GPUs that like shared-memory tiles). Default false. */
  tile?: boolean;
  /** Rows per workgroup (default 64) and rows per block (default 16 tiled, else 64; tiled blocks must fit workgroup memory). */
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

/** Check q (B,H,Tq,d), k and v (B,H,Tk,d), kvLen (B) i32, the options and the head-dim limit. */
export function attentionDims(op: string, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): AttentionDims {
  expectDType(op, 'q', q, 'f32');
  expectDType(op, 'k', k, 'f32');
  expectDType(op, 'v', v, 'f32');
  expectRank(op, 'q', q.shape, 4);
  expectRank(op, 'k', k.shape, 4);
  const [B, H, Tq, d] = q.shape as [number, number, number, number];
  const Tk = k.shape[2]!;
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== d) {
    throw new ShapeError(op, `k ${fmtShape(k.shape)} does not match q ${fmtShape(q.shape)}: want (B, H, Tk, d) = [${B}, ${H}, Tk, ${d}]`);
  }
  expectShape(op, 'v', v.shape, k.shape);
  if (d > ATTENTION_MAX_HEAD_DIM) throw new ShapeError(op, `head dim d = ${d} (q ${fmtShape(q.shape)}) is past the limit ${ATTENTION_MAX_HEAD_DIM}`);
  if (d % 4 !== 0) throw new ShapeError(op, `head dim d = ${d} (q ${fmtShape(q.shape)}) must be a multiple of 4`);
  if (o.kvLen) {
    expectDType(op, 'kvLen', o.kvLen, 'i32');
    expectShape(op, 'kvLen', o.kvLen.shape, [B]);
  }
  if (o.scale !== undefined && !Number.isFinite(o.scale)) throw new ShapeError(op, `scale must be finite, got ${o.scale}`);
  const wg = o.wg ?? 64;
  const bk = blockRows(o);
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new ShapeError(op, `wg must be an integer in [1, 256], got ${wg}`);
  if (!Number.isInteger(bk) || bk < 1 || bk > 1024) throw new ShapeError(op, `bk must be an integer in [1, 1024], got ${bk}`);
  if (o.tile) {
    // tile_a and tile_b hold bk rows of d floats each, tile_s bk vec2
    const bytes = 2 * bk * d * 4 + 8 * bk;
    const lim = q.ctx.limits.maxComputeWorkgroupStorageSize;
    if (bytes > lim) throw new LimitError(op, `workgroup memory for tiled blocks of bk=${bk} rows at d=${d} (bytes)`, bytes, 'maxComputeWorkgroupStorageSize', lim);
  }
  return { B, H, Tq, Tk, d };
}

function blockRows(o: AttentionOptions): number {
  return o.bk ?? (o.tile ? 16 : 64);
}

function kernelFor(rec: Recorder, op: string, entry: string, s: AttentionDims, o: AttentionOptions): Promise<CompiledKernel> {
  return kernel(rec, op, 'attention', entry, {
    WG: o.wg ?? 64,
    BK: blockRows(o),
    HD4: s.d / 4,
    CAUSAL: Boolean(o.causal),
    KEY_PAD: Boolean(o.kvLen),
    TILE: Boolean(o.tile),
  });
}

function uniforms(s: AttentionDims, o: AttentionOptions, rows: number, wg: number): Record<string, number> {
  return { bh: s.B * s.H, heads: s.H, tq: s.Tq, tk: s.Tk, nblk: Math.ceil(rows / wg), scale: o.scale ?? 1 / Math.sqrt(s.d) };
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

function checkOut(op: string, name: string, t: Tensor | undefined, shape: number[]): void {
  if (!t) return;
  expectDType(op, name, t, 'f32');
  expectShape(op, name, t.shape, shape);
}

// q is (B,H,Tq,d), k and v are (B,H,Tk,d); out is (B,H,Tq,d) and lse (B,H,Tq), both saved for backward.
export async function attentionForward(
  rec: Recorder, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}, dst: { out?: Tensor; lse?: Tensor } = {},
): Promise<{ out: Tensor; lse: Tensor }> {
  const op = 'attention';
  const s = attentionDims(op, q, k, v, opts);
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
  rec: Recorder, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, opts: AttentionOptions = {},
  dst: { dq?: Tensor; dk?: Tensor; dv?: Tensor; stats?: Tensor } = {},
): Promise<{ dq: Tensor; dk: Tensor; dv: Tensor; stats: Tensor }> {
  const op = 'attention_backward';
  const s = attentionDims(op, q, k, v, opts);
  expectDType(op, 'dout', dout, 'f32');
  expectShape(op, 'dout', dout.shape, q.shape);
  checkOut(op, 'out', out, q.shape);
  checkOut(op, 'lse', lse, [s.B, s.H, s.Tq]);
  checkOut(op, 'dq', dst.dq, q.shape);
  checkOut(op, 'dk', dst.dk, k.shape);
  checkOut(op, 'dv', dst.dv, v.shape);
  checkOut(op, 'stats', dst.stats, [s.B, s.H, s.Tq, 2]);
  const empty = s.B * s.H * s.Tq * s.Tk === 0;
  const kerns = empty
    ? null
    : await Promise.all(['attention_bwd_prep', 'attention_bwd_dq', 'attention_bwd_dkv'].map((e) => kernelFor(rec, op, e, s, opts)));
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
