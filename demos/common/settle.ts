// What a page function the CLIs call (window.__train.run, __gpt.generate, __bert.run) returns:
// its value, or its error as plain data. Through Playwright a thrown error arrives as a string
// with the page's stack folded in; settled, the CLI still knows whether it was bad input (an
// InputError: exit 2) or a failed run (exit 1), and prints the stack only when asked
// (scripts/lib/exit.ts).
import { InputError } from '../../src/index';

export type Settled<T> =
  { ok: true; value: T } | { ok: false; input: boolean; name: string; message: string; stack: string };

export async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      ok: false,
      input: err instanceof InputError,
      name: err.name,
      message: err.message,
      stack: err.stack ?? '',
    };
  }
}
