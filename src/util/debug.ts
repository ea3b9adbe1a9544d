// The one debug switch: `?debug=N` in a page URL or SHADERGRAD_DEBUG=N in Node.
// 0 = quiet, 1 = compile / plan summaries, 2 = every dispatch.

function readLevel(): number {
  try {
    if (typeof location !== 'undefined') {
      const v = new URLSearchParams(location.search).get('debug');
      if (v !== null) return Number(v) || 0;
    }
  } catch {
    /* not a page */
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return Number(env?.SHADERGRAD_DEBUG ?? 0) || 0;
}

let level = readLevel();

export function debugLevel(): number {
  return level;
}
export function setDebugLevel(n: number): void {
  level = n;
}
export function debug(n: number, ...args: unknown[]): void {
  if (level >= n) console.debug('[shadergrad]', ...args);
}
