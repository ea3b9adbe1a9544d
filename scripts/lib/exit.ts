// How the CLIs end on an error: one line on stderr that names what was wrong, exit status 2 for
// bad input (an InputError, thrown here in Node or in the page and carried back settled by
// demos/common/settle.ts) and 1 for a run that failed. The stack only with SHADERGRAD_DEBUG=1.
import { InputError } from '../../src/index';
import type { Settled } from '../../demos/common/settle';

/** An error the page reported (settled): its kind and its stack travel with it. */
export class PageError extends Error {
  constructor(
    readonly input: boolean,
    message: string,
    readonly pageStack: string,
  ) {
    super(message);
    this.name = 'PageError';
  }
}

/** The value of a settled page call, or its error thrown as a PageError. */
export function unwrap<T>(s: Settled<T>): T {
  if (s.ok) return s.value;
  throw new PageError(s.input, s.message, s.stack);
}

export function isInputError(e: unknown): boolean {
  return e instanceof InputError || (e instanceof PageError && e.input);
}

/** 2: bad usage or input; 1: the run failed. */
export function exitCodeOf(e: unknown): 1 | 2 {
  return isInputError(e) ? 2 : 1;
}

/**
 * A message as one line: Playwright's "page.evaluate: " and the page's "Error: " prefixes and
 * any stack frames or call log dropped, the remaining lines joined with " | ", at most 400 chars.
 */
export function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^(Call log:|=+|- )/.test(l));
  if (!lines.length) return 'unknown error';
  lines[0] = lines[0]!.replace(/^(?:page|frame|locator|browser)\.\w+: /, '').replace(/^Error: /, '');
  const line = lines.join(' | ');
  return line.length > 400 ? `${line.slice(0, 399)}…` : line;
}

/**
 * `prog: message` for bad input, `prog failed: message` for a failed run; one line. A message
 * that already starts with `prog: ` (e.g. "bert fill-mask: …") keeps its own prefix, not two.
 */
export function errorLine(prog: string, e: unknown): string {
  let message = oneLine(e instanceof Error ? e.message : String(e));
  if (message.startsWith(`${prog}: `)) message = message.slice(prog.length + 2);
  return isInputError(e) ? `${prog}: ${message}` : `${prog} failed: ${message}`;
}

/** Print the error line (and, with SHADERGRAD_DEBUG set, the full message and stacks); the exit status. */
export function reportError(prog: string, e: unknown): 1 | 2 {
  console.error(errorLine(prog, e));
  if (process.env.SHADERGRAD_DEBUG) {
    if (e instanceof Error) console.error(e.stack ?? e.message);
    if (e instanceof PageError && e.pageStack) console.error(`in the page:\n${e.pageStack}`);
  }
  return exitCodeOf(e);
}

/** Report the error and exit (before the browser starts: nothing to close). */
export function exitOnError(prog: string, e: unknown): never {
  process.exit(reportError(prog, e));
}
