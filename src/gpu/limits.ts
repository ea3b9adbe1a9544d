// Does a model fit the adapter? A check run before anything is allocated (on the host or the
// GPU): each tensor a model will need, against the adapter's per-binding and per-buffer limits.
// Pure (the limits are plain numbers), so models call it with ctx.limits and tests with fakes.
import { LimitError, fmtShape } from '../util/errors';

export interface BufferLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

export interface SizedTensor {
  name: string;
  shape: readonly number[];
  /** What to change to make it smaller, for the message (e.g. "lower --batch or --block"). */
  hint?: string;
}

/** Every element is 4 bytes (f32, i32, u32). */
export function tensorBytes(shape: readonly number[]): number {
  return 4 * shape.reduce((a, b) => a * b, 1);
}

/**
 * Throws a LimitError naming the first tensor whose bytes pass maxStorageBufferBindingSize (a
 * kernel binds it whole) or maxBufferSize: its shape, its size and the limit.
 */
export function checkFits(op: string, tensors: readonly SizedTensor[], limits: BufferLimits): void {
  for (const t of tensors) {
    const bytes = tensorBytes(t.shape);
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      const limit = limits[name];
      if (bytes > limit) {
        throw new LimitError(op, `the tensor "${t.name}" ${fmtShape(t.shape)}`, bytes, name, limit, {
          bytes: true,
          hint: t.hint
            ? `a model this large does not fit this adapter: ${t.hint}`
            : 'a model this large does not fit this adapter',
        });
      }
    }
  }
}
