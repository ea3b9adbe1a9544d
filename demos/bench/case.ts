// The contract between the benchmark page and its rows. Each file in demos/bench/cases/ exports
// `cases: BenchCase[]`; the page times `ours` and `peer` side by side on the same adapter.
import type * as tfc from '@tensorflow/tfjs-core';
import type { GpuContext, gpu } from '../../src/index';

type Recorder = gpu.Recorder;

export type TF = typeof tfc;

export interface OursRun {
  /** Record one iteration (all its dispatches) into `rec`; the page submits and waits. */
  record(rec: Recorder): Promise<void>;
  /** Release every tensor made in setup. */
  dispose(): void;
}

export interface PeerRun {
  /** Run one iteration in TensorFlow.js and return the tensors it produced (the page syncs on them and disposes them). */
  run(): tfc.Tensor[];
  dispose(): void;
}

export interface BenchCase {
  /** Row name, e.g. "matmul_1024". */
  name: string;
  /** Human-readable sizes, e.g. "1024x1024x1024". */
  shape: string;
  /** Napkin counts for one iteration: floating-point operations and bytes moved to/from memory. */
  flops: number;
  bytes: number;
  /**
   * A row whose one iteration takes seconds on a CPU adapter (GPT-2 small): it runs only when
   * --only names it, with this many timed runs (the median of them) and one warm-up.
   */
  heavy?: { runs: number };
  ours(ctx: GpuContext): Promise<OursRun>;
  peer(tf: TF): PeerRun;
}
