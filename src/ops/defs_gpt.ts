// Graph op definitions for GPT decoding with a KV cache: `kv_cache` (the cache as attention
// should see it this step: position p replaced by the new rows) and `kv_cache_store` (an effect:
// writes the new rows into the cache in place, after every other node of the step).
import { ShapeError, fmtShape } from '../util/errors';
import { sameShape } from '../util/shape';
import type { OpAttrs } from './attrs';
import type { OpDef, TypeInfo } from './registry_types';
import { kvCacheForward, kvCacheStore } from './kv_cache';
import * as kvRef from '../reference/kv_cache';

type Def<K extends keyof OpAttrs> = OpDef<OpAttrs[K], OpAttrs>;

function check(op: string, [cache, row, pos]: TypeInfo[]): void {
  const c = cache!.shape;
  if (c.length !== 4 || cache!.dtype !== 'f32') throw new ShapeError(op, `cache ${fmtShape(c)} must be f32 (B, H, T, d)`);
  if (!sameShape(row!.shape, [c[0]!, c[1]!, 1, c[3]!]) || row!.dtype !== 'f32') throw new ShapeError(op, `new ${fmtShape(row!.shape)} must be f32 [${c[0]}, ${c[1]}, 1, ${c[3]}]`);
  if (!sameShape(pos!.shape, [1]) || pos!.dtype !== 'i32') throw new ShapeError(op, `pos must be i32 [1], got ${pos!.dtype} ${fmtShape(pos!.shape)}`);
}

function refDims(t: TypeInfo): [number, number, number] {
  const [B, H, T, d] = t.shape as [number, number, number, number];
  return [B * H, T, d];
}

export const gptOps: { [K in 'kv_cache' | 'kv_cache_store']: Def<K> } = {
  kv_cache: {
    inputs: ['cache', 'new', 'pos'],
    infer: (ins) => {
      check('kv_cache', ins);
      return [{ shape: [...ins[0]!.shape], dtype: 'f32' }];
    },
    encode: async (rec, [cache, row, pos], [out]) => void (await kvCacheForward(rec, cache!, row!, pos!, out)),
    backward: 'the KV cache is for inference only',
    reference: ([cache, row, pos], [t]) => [kvRef.kvCacheForward(cache!, row!, pos![0]!, ...refDims(t!))],
    cost: ([t]) => ({ flops: 0, bytes: 8 * t!.shape.reduce((a, b) => a * b, 1) }),
  },
  kv_cache_store: {
    inputs: ['cache', 'new', 'pos'],
    infer: (ins) => {
      check('kv_cache_store', ins);
      return [];
    },
    effect: () => [0],
    encode: async (rec, [cache, row, pos]) => kvCacheStore(rec, cache!, row!, pos!),
    backward: 'the KV cache is for inference only',
    reference: ([cache, row, pos], [t]) => [kvRef.kvCacheStore(cache!, row!, pos![0]!, ...refDims(t!))],
  },
};
