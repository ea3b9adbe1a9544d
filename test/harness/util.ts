// Small conveniences for GPU tests: run some ops in one recorder and read results back.
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import { tensorFrom, type Tensor, type DType } from '../../src/gpu/tensor';

export function upload(
  ctx: GpuContext,
  data: ArrayLike<number>,
  shape: number[],
  dtype: DType = 'f32',
  label = 'input',
): Tensor {
  return tensorFrom(ctx, data, shape, dtype, label);
}

/** Record with `fn`, submit once, then read back the tensors it returns. */
export async function runOps<T extends Record<string, Tensor>>(
  ctx: GpuContext,
  fn: (rec: Recorder) => Promise<T>,
): Promise<{ [K in keyof T]: Float32Array | Int32Array | Uint32Array }> {
  const rec = new Recorder(ctx, { label: 'test' });
  const outs = await fn(rec);
  rec.submit();
  const res = {} as { [K in keyof T]: Float32Array | Int32Array | Uint32Array };
  for (const k of Object.keys(outs) as (keyof T)[]) {
    res[k] = await outs[k]!.read();
    outs[k]!.release();
  }
  return res;
}
