// Shape helpers: sizes, broadcasting rules and checks that throw ShapeError naming the op.
import { ShapeError, fmtShape } from './errors';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(op: string, name: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        op,
        `${name} has invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers`,
      );
    }
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function expectShape(op: string, name: string, got: Shape, want: Shape): void {
  if (!sameShape(got, want)) {
    throw new ShapeError(op, `${name} has shape ${fmtShape(got)}, expected ${fmtShape(want)}`);
  }
}

export function expectRank(op: string, name: string, shape: Shape, rank: number | readonly number[]): void {
  const ok = typeof rank === 'number' ? shape.length === rank : rank.includes(shape.length);
  if (!ok) {
    throw new ShapeError(
      op,
      `${name} has shape ${fmtShape(shape)} (rank ${shape.length}), expected rank ${String(rank)}`,
    );
  }
}

/** NumPy-style broadcast of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape` as seen from an output of rank `rank`, 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = out.length - shape.length + i;
    strides[oi] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

export function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}
