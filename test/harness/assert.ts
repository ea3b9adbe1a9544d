// Assertions for numeric tests: allclose with stated tolerances, reporting max abs / rel error
// and the first mismatching indices, plus small helpers.

export interface Tolerance {
  atol: number;
  rtol: number;
}

type Num = ArrayLike<number>;

export class AssertionError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'AssertionError';
  }
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function assertEqual<T>(got: T, want: T, what: string): void {
  if (got !== want) throw new AssertionError(`${what}: got ${String(got)}, want ${String(want)}`);
}

export interface CloseReport {
  maxAbs: number;
  maxRel: number;
  mismatches: number;
  first: number[];
}

/** Compare elementwise: |got − want| ≤ atol + rtol·|want|; NaN must match NaN, ±Inf must match. */
export function compare(got: Num, want: Num, tol: Tolerance): CloseReport {
  let maxAbs = 0;
  let maxRel = 0;
  let mismatches = 0;
  const first: number[] = [];
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    let bad: boolean;
    if (Number.isNaN(w) || Number.isNaN(g)) bad = Number.isNaN(w) !== Number.isNaN(g);
    else if (!Number.isFinite(w) || !Number.isFinite(g)) bad = g !== w;
    else {
      const abs = Math.abs(g - w);
      const rel = abs / Math.max(Math.abs(w), 1e-30);
      maxAbs = Math.max(maxAbs, abs);
      if (Math.abs(w) > tol.atol) maxRel = Math.max(maxRel, rel);
      bad = abs > tol.atol + tol.rtol * Math.abs(w);
    }
    if (bad) {
      mismatches++;
      if (first.length < 5) first.push(i);
    }
  }
  return { maxAbs, maxRel, mismatches, first };
}

export function assertClose(got: Num, want: Num, tol: Tolerance, what: string): CloseReport {
  if (got.length !== want.length) throw new AssertionError(`${what}: length ${got.length}, want ${want.length}`);
  const r = compare(got, want, tol);
  if (r.mismatches > 0) {
    const show = r.first.map((i) => `[${i}] got ${got[i]} want ${want[i]}`).join('; ');
    throw new AssertionError(
      `${what}: ${r.mismatches}/${want.length} values outside atol=${tol.atol} rtol=${tol.rtol}; ` +
        `max abs err ${r.maxAbs.toExponential(3)}, max rel err ${r.maxRel.toExponential(3)}; first: ${show}`,
    );
  }
  return r;
}

/** Exact equality of two arrays (bit-identical floats), reporting the first differences. */
export function assertIdentical(got: Num, want: Num, what: string): void {
  if (got.length !== want.length) throw new AssertionError(`${what}: length ${got.length}, want ${want.length}`);
  const bad: number[] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) if (!Object.is(got[i], want[i])) bad.push(i);
  if (bad.length)
    throw new AssertionError(
      `${what}: not identical; first: ${bad.map((i) => `[${i}] ${got[i]} vs ${want[i]}`).join('; ')}`,
    );
}

/**
 * Expect `f` to throw or reject with an error whose message matches `pattern` (a RegExp, or words
 * that must all appear) and, when given, is an instance of `type`; returns the error.
 */
export async function assertRejects(
  what: string,
  f: () => unknown,
  pattern: RegExp | readonly string[],
  type?: abstract new (...args: never[]) => Error,
): Promise<Error> {
  let err: unknown = null;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error))
    throw new AssertionError(`${what}: expected an error, got ${err === null ? 'none' : String(err)}`);
  const e: Error = err;
  const isType = (x: unknown): boolean => !type || x instanceof type;
  if (!isType(e)) throw new AssertionError(`${what}: expected a ${type?.name}, got ${e.name}: ${e.message}`);
  const ok = pattern instanceof RegExp ? pattern.test(e.message) : pattern.every((w) => e.message.includes(w));
  if (!ok)
    throw new AssertionError(
      `${what}: message "${e.message}" does not match ${pattern instanceof RegExp ? pattern : JSON.stringify(pattern)}`,
    );
  return e;
}
