// Browser side of the GPU test harness. Test files (test/gpu/*.gpu.ts) call `test(name, fn)`;
// the runner page runs one test at a time on a shared GpuContext and fails a test on any
// uncaptured WebGPU error or device loss it caused. The Node side (test/gpu.test.ts) also fails
// a test on any console error or page error.
import type { GpuContext } from '../../src/gpu/device';

export interface TestEnv {
  ctx: GpuContext;
}

export type TestFn = (env: TestEnv) => Promise<void> | void;

export interface RegisteredTest {
  name: string;
  fn: TestFn;
}

export const registry: RegisteredTest[] = [];

export function test(name: string, fn: TestFn): void {
  if (registry.some((t) => t.name === name)) throw new Error(`duplicate GPU test name: ${name}`);
  registry.push({ name, fn });
}
