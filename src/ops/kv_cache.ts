// kv_cache: the decoding step's view of a layer's key (or value) cache with this step's rows
// written at position p (a GPU i32 buffer), and the in-place store of those rows
// (shaders/kv_cache.wgsl). cache (B, H, T, d), newRow (B, H, 1, d), pos [1] i32. As graph ops,
// `kv_cache` is the cache as attention should see it this step and `kv_cache_store` an effect that
// writes the new rows in place after every other node of the step.
import { ShapeError, fmtShape } from '../util/errors';
import { expectRank, expectShape } from '../util/shape';
import type { Recorder } from '../gpu/recorder';
import { emptyTensor, type Tensor } from '../gpu/tensor';
import { expectDType, groups, kernel } from './common';
import { defineOps, like, type Typed, type TypeInfo } from './registry_types';
import * as ref from '../reference/kv_cache';

/** kv_cache's (and kv_cache_store's) shape rule: cache f32 (B, H, T, d), new f32 (B, H, 1, d), pos i32 [1]. */
export function kvCacheShape(
  op: string,
  cache: Typed,
  newRow: Typed,
  pos: Typed,
): { rows: number; t: number; d: number } {
  expectDType(op, 'cache', cache, 'f32');
  expectDType(op, 'new', newRow, 'f32');
  expectDType(op, 'pos', pos, 'i32');
  expectRank(op, 'cache', cache.shape, 4);
  const [B, H, T, d] = cache.shape as [number, number, number, number];
  if (
    newRow.shape.length !== 4 ||
    newRow.shape[0] !== B ||
    newRow.shape[1] !== H ||
    newRow.shape[2] !== 1 ||
    newRow.shape[3] !== d
  ) {
    throw new ShapeError(
      op,
      `new ${fmtShape(newRow.shape)} must be [${B}, ${H}, 1, ${d}] for cache ${fmtShape(cache.shape)}`,
    );
  }
  expectShape(op, 'pos', pos.shape, [1]);
  return { rows: B * H, t: T, d };
}

/** out = cache with position pos[0] replaced by newRow. */
export async function kvCacheForward(
  rec: Recorder,
  cache: Tensor,
  newRow: Tensor,
  pos: Tensor,
  out?: Tensor,
): Promise<Tensor> {
  const op = 'kv_cache';
  const s = kvCacheShape(op, cache, newRow, pos);
  if (out) expectShape(op, 'out', out.shape, cache.shape);
  const y = out ?? emptyTensor(rec.ctx, cache.shape, 'f32', op);
  const k = await kernel(rec, op, 'kv_cache', 'kv_cache_fwd');
  const n = cache.size;
  rec.dispatch({
    kernel: k,
    op,
    bindings: { cache, new_row: newRow, pos, out: y },
    uniforms: { ...s, n },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: 0, bytes: 8 * n },
  });
  return y;
}

/** cache[:, :, pos[0], :] = newRow, in place. */
export async function kvCacheStore(rec: Recorder, cache: Tensor, newRow: Tensor, pos: Tensor): Promise<void> {
  const op = 'kv_cache_store';
  const s = kvCacheShape(op, cache, newRow, pos);
  const k = await kernel(rec, op, 'kv_cache', 'kv_cache_store');
  const n = s.rows * s.d;
  rec.dispatch({
    kernel: k,
    op,
    bindings: { dst: cache, new_row: newRow, pos },
    uniforms: { ...s, n: cache.size },
    workgroups: groups(n, k.workgroupSize[0]),
    cost: { flops: 0, bytes: 8 * n },
  });
}

function refDims(t: TypeInfo): [number, number, number] {
  const [B, H, T, d] = t.shape as [number, number, number, number];
  return [B * H, T, d];
}

// The attributes of the graph ops defined below (OpName is the union over every op file).
declare module './attrs' {
  interface OpAttrs {
    kv_cache: NoAttrs;
    kv_cache_store: NoAttrs;
  }
}

export const kvCacheOps = defineOps({
  kv_cache: {
    inputs: ['cache', 'new', 'pos'],
    infer: ([cache, row, pos]) => {
      kvCacheShape('kv_cache', cache!, row!, pos!);
      return [like(cache!)];
    },
    encode: async (rec, [cache, row, pos], [out]) => void (await kvCacheForward(rec, cache!, row!, pos!, out)),
    backward: 'the KV cache is for inference only',
    reference: ([cache, row, pos], [t]) => [ref.kvCacheForward(cache!, row!, pos![0]!, ...refDims(t!))],
  },
  kv_cache_store: {
    inputs: ['cache', 'new', 'pos'],
    infer: ([cache, row, pos]) => {
      kvCacheShape('kv_cache_store', cache!, row!, pos!);
      return [];
    },
    effect: () => [0],
    encode: async (rec, [cache, row, pos]) => kvCacheStore(rec, cache!, row!, pos!),
    backward: 'the KV cache is for inference only',
    reference: ([cache, row, pos], [t]) => [ref.kvCacheStore(cache!, row!, pos![0]!, ...refDims(t!))],
  },
});
