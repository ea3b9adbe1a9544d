// embedding: a row gather (forward) and its deterministic scatter-add (backward), which is also
// word2vec's row update (`scatterAddRows`). Backward sorts (id, position) pairs on the GPU with a
// stable LSD radix sort and sums each id's rows in position order (see shaders/embedding.wgsl),
// so ids may live on the GPU and repeated runs give bit-identical gradients.
// Saved for backward: ids only (the table is not needed).
//
// Scratch: backward needs a workspace (sort buffers, histogram, tile partials). Pass one in
// `opts.workspace` to reuse it every step; otherwise one is made and returned, and the caller
// releases it (`workspace.release()`) after submitting, never before: a buffer given back to the
// pool before the submit could be handed out and host-written while this work is still queued.
import { LimitError, ShapeError, fmtShape } from '../util/errors';
import { expectRank, expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import type { GpuContext } from '../gpu/device';
import type { CompiledKernel } from '../gpu/pipelines';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { defineOps, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/embedding';

/** Sorted entries per tile of the segment sum (uniform `tile`). */
const DEFAULT_TILE = 32;
/** Positions per chunk of the counting sort: at least this, and few enough chunks (≤ ~1024). */
const MIN_CHUNK = 32;
const TARGET_CHUNKS = 1024;

/** Sizes of one backward call: the sort and segment-sum geometry. */
export interface ScatterPlan {
  N: number;
  D: number;
  V: number;
  /** Radix passes and digit bits per pass (keys are ids in [0, V], V marking out-of-range). */
  passes: number;
  radix: number;
  chunk: number;
  chunks: number;
  tile: number;
  tiles: number;
}

export function scatterPlan(N: number, V: number, D: number, tile = DEFAULT_TILE): ScatterPlan {
  const bits = Math.max(1, Math.ceil(Math.log2(V + 1)));
  const passes = Math.ceil(bits / 8);
  const radix = 2 ** Math.ceil(bits / passes);
  const chunk = Math.max(MIN_CHUNK, Math.ceil(N / TARGET_CHUNKS));
  return { N, D, V, passes, radix, chunk, chunks: Math.ceil(N / chunk), tile, tiles: Math.ceil(N / tile) };
}

/** Scratch buffers of the backward pass, reusable across calls whose plan fits. */
export class EmbeddingWorkspace {
  readonly keys: [Tensor, Tensor];
  readonly pos: [Tensor, Tensor];
  readonly hist: Tensor;
  readonly head: Tensor;
  readonly tail: Tensor;

  constructor(
    ctx: GpuContext,
    readonly plan: ScatterPlan,
  ) {
    const { N, D, radix, chunks, tiles } = plan;
    const u = (n: number, name: string): Tensor => emptyTensor(ctx, [n], 'u32', `embedding.${name}`);
    this.keys = [u(N, 'keys0'), u(N, 'keys1')];
    this.pos = [u(N, 'pos0'), u(N, 'pos1')];
    this.hist = u(radix * chunks, 'hist');
    this.head = emptyTensor(ctx, [tiles * D], 'f32', 'embedding.head');
    this.tail = emptyTensor(ctx, [tiles * D], 'f32', 'embedding.tail');
  }

  /** Can this workspace serve `p`? */
  fits(p: ScatterPlan): boolean {
    const q = this.plan;
    return p.N <= q.N && p.radix * p.chunks <= q.radix * q.chunks && p.tiles * p.D <= q.tiles * q.D;
  }

  /** Release every tensor once `rec` has been submitted (kept by a captured plan). */
  releaseAfterSubmit(rec: Recorder): void {
    for (const t of [...this.keys, ...this.pos, this.hist, this.head, this.tail]) rec.releaseAfterSubmit(t);
  }

  release(): void {
    for (const t of [...this.keys, ...this.pos, this.hist, this.head, this.tail]) t.release();
  }
}

export interface ScatterOptions {
  /** Add into the destination instead of overwriting it (default: false for embeddingBackward, true for scatterAddRows). */
  accumulate?: boolean;
  /** Reuse this scratch (must fit); else a new one is returned for the caller to release after submit. */
  workspace?: EmbeddingWorkspace;
  /** Sorted entries per tile in the segment sum (default 32). */
  tile?: number;
}

function checkIds(op: string, ids: Typed): void {
  expectDType(op, 'ids', ids, 'i32');
}

/** Invocations per workgroup of every embedding kernel (embedding.wg of ctx.tuning). */
function wgOf(rec: Recorder): number {
  return rec.ctx.tuning['embedding.wg'];
}

function k(rec: Recorder, op: string, entry: string): Promise<CompiledKernel> {
  return kernel(rec, op, 'embedding', entry, { WG: wgOf(rec) });
}

/** embedding's shape rule: table f32 (V, D), ids i32 (...) → out (..., D). */
export function embeddingShape(op: string, table: Typed, ids: Typed): { V: number; D: number; out: TypeInfo } {
  expectDType(op, 'table', table, 'f32');
  expectRank(op, 'table', table.shape, 2);
  checkIds(op, ids);
  const [V, D] = table.shape as [number, number];
  return { V, D, out: { shape: [...ids.shape, D], dtype: 'f32' } };
}

// table is (V,D), ids is (...) → out is (..., D); an out-of-range id gathers a NaN row
export async function embeddingForward(rec: Recorder, table: Tensor, ids: Tensor, out?: Tensor): Promise<Tensor> {
  const op = 'embedding';
  const { V, D, out: o } = embeddingShape(op, table, ids);
  const shape = o.shape;
  if (out) {
    expectDType(op, 'out', out, 'f32');
    expectShape(op, 'out', out.shape, shape);
  }
  const kf = await k(rec, op, 'emb_fwd');
  const y = out ?? emptyTensor(rec.ctx, shape, 'f32', op);
  const n = ids.size * D;
  if (n > 0) {
    rec.dispatch({
      kernel: kf,
      op,
      bindings: { table, ids, out: y },
      uniforms: uniforms(scatterPlan(ids.size, V, D), 0),
      workgroups: groups(n, wgOf(rec)),
      cost: { flops: 0, bytes: 8 * n + 4 * ids.size },
    });
  }
  return y;
}

function uniforms(p: ScatterPlan, shift: number): Record<string, number> {
  return {
    n: p.N,
    dim: p.D,
    vocab: p.V,
    chunk: p.chunk,
    chunks: p.chunks,
    shift,
    radix: p.radix,
    hist_len: p.radix * p.chunks,
    tile: p.tile,
    tiles: p.tiles,
  };
}

/** The tensors of a scatter-add: src f32 (..., D), ids i32 (...), a table of V < 2^31 rows. */
function scatterShape(op: string, src: Typed, ids: Typed, V: number, D: number): void {
  expectDType(op, 'src', src, 'f32');
  checkIds(op, ids);
  expectShape(op, 'src', src.shape, [...ids.shape, D]);
  if (V + 1 > 2 ** 31) throw new LimitError(op, 'rows of the table', V, 'i32 ids', 2 ** 31 - 1);
}

// src is (..., D), ids is (...), dst is (V, D)
function planScatter(op: string, src: Tensor, ids: Tensor, V: number, D: number, opts: ScatterOptions): ScatterPlan {
  scatterShape(op, src, ids, V, D);
  const tile = opts.tile ?? DEFAULT_TILE;
  if (!Number.isInteger(tile) || tile < 1) throw new ShapeError(op, `tile must be a positive integer, got ${tile}`);
  const p = scatterPlan(ids.size, V, D, tile);
  if (opts.workspace && !opts.workspace.fits(p)) {
    const q = opts.workspace.plan;
    throw new ShapeError(
      op,
      `workspace made for N=${q.N}, V=${q.V}, D=${q.D} is too small for N=${p.N}, V=${p.V}, D=${p.D}`,
    );
  }
  return p;
}

/**
 * dst[ids[n], :] += src[n, :] for every n, deterministically (segment sums in position order);
 * out-of-range ids add nothing. With accumulate false, dst is cleared first.
 */
// src is (..., D), ids is (...), dst is (V, D)
export async function scatterAddRows(
  rec: Recorder,
  src: Tensor,
  ids: Tensor,
  dst: Tensor,
  opts: ScatterOptions = {},
  op = 'scatter_add_rows',
): Promise<{ dst: Tensor; workspace: EmbeddingWorkspace | null }> {
  expectDType(op, 'dst', dst, 'f32');
  expectRank(op, 'dst', dst.shape, 2);
  const [V, D] = dst.shape as [number, number];
  const p = planScatter(op, src, ids, V, D, opts);
  const accumulate = opts.accumulate ?? true;
  const names = ['emb_keys', 'emb_hist', 'emb_scan', 'emb_scatter', 'emb_tiles', 'emb_chains'] as const;
  const ks = await Promise.all(names.map((e) => k(rec, op, e)));
  const [kKeys, kHist, kScan, kScatter, kTiles, kChains] = ks as [
    CompiledKernel,
    CompiledKernel,
    CompiledKernel,
    CompiledKernel,
    CompiledKernel,
    CompiledKernel,
  ];
  if (!accumulate) rec.clear(dst);
  if (p.N === 0 || p.D === 0) return { dst, workspace: opts.workspace ?? null };
  const ws = opts.workspace ?? new EmbeddingWorkspace(rec.ctx, p);
  const { N, chunks } = p;
  const WG = wgOf(rec);
  const histLen = p.radix * chunks;
  rec.dispatch({
    kernel: kKeys,
    op,
    bindings: { ids, keys_out: ws.keys[0], pos_out: ws.pos[0] },
    uniforms: uniforms(p, 0),
    workgroups: groups(N, WG),
    cost: { flops: N, bytes: 12 * N },
  });
  let cur: 0 | 1 = 0;
  for (let pass = 0; pass < p.passes; pass++) {
    const u = uniforms(p, pass * Math.log2(p.radix));
    const nxt: 0 | 1 = cur === 0 ? 1 : 0;
    rec.dispatch({
      kernel: kHist,
      op,
      bindings: { keys_in: ws.keys[cur], hist: ws.hist },
      uniforms: u,
      workgroups: groups(chunks, WG),
      cost: { flops: N, bytes: 4 * N + 12 * histLen },
    });
    rec.dispatch({
      kernel: kScan,
      op,
      bindings: { hist: ws.hist },
      uniforms: u,
      workgroups: 1,
      cost: { flops: 2 * histLen, bytes: 12 * histLen },
    });
    rec.dispatch({
      kernel: kScatter,
      op,
      bindings: {
        keys_in: ws.keys[cur],
        pos_in: ws.pos[cur],
        keys_out: ws.keys[nxt],
        pos_out: ws.pos[nxt],
        hist: ws.hist,
      },
      uniforms: u,
      workgroups: groups(chunks, WG),
      cost: { flops: N, bytes: 24 * N },
    });
    cur = nxt;
  }
  const cells = p.tiles * D;
  rec.dispatch({
    kernel: kTiles,
    op,
    bindings: { keys_in: ws.keys[cur], pos_in: ws.pos[cur], dout: src, dtable: dst, head: ws.head, tail: ws.tail },
    uniforms: uniforms(p, 0),
    workgroups: groups(cells, WG),
    cost: { flops: N * D, bytes: 12 * N * D + (8 * N * D) / p.tile },
  });
  rec.dispatch({
    kernel: kChains,
    op,
    bindings: { keys_in: ws.keys[cur], head: ws.head, tail: ws.tail, dtable: dst },
    uniforms: uniforms(p, 0),
    workgroups: groups(cells, WG),
    cost: { flops: cells, bytes: 8 * cells },
  });
  return { dst, workspace: ws };
}

/** embedding_backward's shape rule: V ≥ 0 rows, dout f32 (..., D) over ids i32 (...) → dtable (V, D). */
export function embeddingBackwardShape(
  op: string,
  dout: Typed,
  ids: Typed,
  V: number,
): { D: number; dtable: TypeInfo } {
  if (!Number.isInteger(V) || V < 0)
    throw new ShapeError(op, `V (rows of the table) must be a non-negative integer, got ${V}`);
  const D = dout.shape[dout.shape.length - 1];
  if (D === undefined || dout.shape.length !== ids.shape.length + 1) {
    throw new ShapeError(
      op,
      `dout has shape ${fmtShape(dout.shape)}, expected ids' shape ${fmtShape(ids.shape)} plus the embedding size`,
    );
  }
  scatterShape(op, dout, ids, V, D);
  return { D, dtable: { shape: [V, D], dtype: 'f32' } };
}

// d out[n] / d table[v] = [ids[n] = v]  ⇒  dtable[v] = Σ_{n : ids[n] = v} dout[n]
/** dtable (V, D) from dout (..., D); overwritten unless opts.accumulate. */
export async function embeddingBackward(
  rec: Recorder,
  dout: Tensor,
  ids: Tensor,
  V: number,
  opts: ScatterOptions = {},
  dtable?: Tensor,
): Promise<{ dtable: Tensor; workspace: EmbeddingWorkspace | null }> {
  const op = 'embedding_backward';
  const { D } = embeddingBackwardShape(op, dout, ids, V);
  planScatter(op, dout, ids, V, D, opts);
  if (dtable) {
    expectDType(op, 'dtable', dtable, 'f32');
    expectShape(op, 'dtable', dtable.shape, [V, D]);
  }
  const dst = dtable ?? emptyTensor(rec.ctx, [V, D], 'f32', op);
  const r = await scatterAddRows(rec, dout, ids, dst, { ...opts, accumulate: opts.accumulate ?? false }, op);
  return { dtable: r.dst, workspace: r.workspace };
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    embedding: NoAttrs;
    embedding_backward: { vocab: number };
  }
}

export const embeddingOps = defineOps({
  embedding: {
    inputs: ['table', 'ids'],
    infer: ([table, ids]) => [embeddingShape('embedding', table!, ids!).out],
    encode: async (rec, [table, ids], [out]) => void (await embeddingForward(rec, table!, ids!, out)),
    // dtable = scatter-add of dout rows at ids (deterministic segment sums); ids get none
    backward: (b, [table, ids], _, [dout]) => [
      b.op('embedding_backward', [dout!, ids!], { vocab: table!.shape[0]! }),
      null,
    ],
    reference: ([table, ids], [tt]) => [ref.embeddingForward(table!, ids!, tt!.shape[0]!, tt!.shape[1]!)],
  },
  embedding_backward: {
    inputs: ['dout', 'ids'],
    infer: ([dout, ids], a) => [embeddingBackwardShape('embedding_backward', dout!, ids!, a.vocab).dtable],
    encode: async (rec, [dout, ids], [dtable], a) => {
      const r = await embeddingBackward(rec, dout!, ids!, a.vocab, {}, dtable);
      r.workspace?.releaseAfterSubmit(rec);
    },
    backward: 'second derivatives of embedding are not implemented',
    reference: ([dout, ids], [td], a) => [
      ref.embeddingBackward(dout!, ids!, a.vocab, td!.shape[td!.shape.length - 1]!),
    ],
  },
});
