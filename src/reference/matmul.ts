// Float64 reference of shaders/matmul.wgsl: batched C = op(A)·op(B) + bias in every
// transposed form, its backward (dA, dB, dbias, with the batch sum of a broadcast operand)
// and the column sums.

/** Shapes of one batched product: op(A) is (M, K), op(B) is (K, N), C is (batch, M, N). */
export interface MatmulDims {
  batch: number;
  M: number;
  K: number;
  N: number;
  /** A is stored (K, M) per batch instead of (M, K). */
  transA?: boolean;
  /** B is stored (N, K) per batch instead of (K, N). */
  transB?: boolean;
  /** A is one matrix shared by every batch (stored without a batch axis). */
  broadcastA?: boolean;
  broadcastB?: boolean;
}

/** Offset of op(A)[z][m][k] in A's storage. */
function aIndex(d: MatmulDims, z: number, m: number, k: number): number {
  const base = d.broadcastA ? 0 : z * d.M * d.K;
  return base + (d.transA ? k * d.M + m : m * d.K + k);
}

/** Offset of op(B)[z][k][n] in B's storage. */
function bIndex(d: MatmulDims, z: number, k: number, n: number): number {
  const base = d.broadcastB ? 0 : z * d.K * d.N;
  return base + (d.transB ? n * d.K + k : k * d.N + n);
}

// out = op(A)·op(B) + bias; a, b stored as d says; out is (batch, M, N)
export function matmulForward(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  d: MatmulDims,
  bias?: ArrayLike<number> | null,
): Float64Array {
  const { batch, M, K, N } = d;
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = bias ? bias[n]! : 0;
        for (let k = 0; k < K; k++) s += a[aIndex(d, z, m, k)]! * b[bIndex(d, z, k, n)]!;
        out[(z * M + m) * N + n] = s;
      }
    }
  }
  return out;
}

export interface MatmulGradsF64 {
  /** Same storage layout as a (transposed when transA, no batch axis when broadcastA). */
  da: Float64Array;
  db: Float64Array;
  /** (N), when a bias was given. */
  dbias: Float64Array | null;
}

// dA = dout · op(B)ᵀ,  dB = op(A)ᵀ · dout  (summed over batches when broadcast), stored like A
// and B;  dbias = Σ_rows dout
export function matmulBackward(
  dout: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  d: MatmulDims,
  bias?: ArrayLike<number> | null,
): MatmulGradsF64 {
  const { batch, M, K, N } = d;
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dout[(z * M + m) * N + n]!;
        for (let k = 0; k < K; k++) {
          da[aIndex(d, z, m, k)]! += g * b[bIndex(d, z, k, n)]!;
          db[bIndex(d, z, k, n)]! += g * a[aIndex(d, z, m, k)]!;
        }
      }
    }
  }
  return { da, db, dbias: bias ? columnSums(dout, batch * M, N) : null };
}

// out[n] = Σ_r x[r][n]; x is (rows, cols)
export function columnSums(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let n = 0; n < cols; n++) out[n]! += x[r * cols + n]!;
  return out;
}
