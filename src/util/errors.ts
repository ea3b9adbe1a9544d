// Error types shared by every layer. A ShapeError is thrown before anything is dispatched and
// names the op, the shapes involved and the rule or limit that was broken. An InputError (and
// its kinds: LimitError, SafetensorsError, CorpusError) says the user's input is wrong — a flag,
// a file, a text, a model too large for the adapter — rather than the program: the CLIs print
// its message as one line and exit 2 on it, 1 on any other failure.

/** Bad input from the user (a flag, a file, a text): one line that names it and what is wrong. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

/** A size past an adapter limit: the sizes asked for are too large for this GPU (an input error). */
export class LimitError extends InputError {
  /** `o.bytes`: the values are byte counts (shown with MiB too); `o.hint`: what to change. */
  constructor(
    op: string,
    what: string,
    value: number,
    limitName: string,
    limit: number,
    o: { bytes?: boolean; hint?: string } = {},
  ) {
    const fmt = (n: number): string =>
      o.bytes ? `${n} bytes (${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 0)} MiB)` : String(n);
    super(
      `${op}: ${what} is ${fmt(value)}, past the device limit ${limitName} = ${fmt(limit)}${o.hint ? `; ${o.hint}` : ''}`,
    );
    this.name = 'LimitError';
  }
}

export class ShaderCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShaderCompileError';
  }
}

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
