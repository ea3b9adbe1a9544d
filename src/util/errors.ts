// Error types shared by every layer. A ShapeError is thrown before anything is dispatched and
// names the op, the shapes involved and the rule or limit that was broken.

export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

export class LimitError extends Error {
  constructor(op: string, what: string, value: number, limitName: string, limit: number) {
    super(`${op}: ${what} is ${value}, past the device limit ${limitName} = ${limit}`);
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
