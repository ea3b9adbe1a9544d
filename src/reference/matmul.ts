// Float64 reference of shaders/matmul.wgsl: batched C = act(op(A)·op(B) + bias) in every
// transposed form, its backward (dA, dB, dbias, with the batch sum of a broadcast operand),
// the column sums and the activation derivatives.

export type Activation = 'none' | 'relu' | 'gelu' | 'tanh' | 'sigmoid';

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

const GELU_C = Math.sqrt(2 / Math.PI);

export function activate(x: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return x < 0 ? 0 : x;
    case 'gelu':
      return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    default:
      return x;
  }
}

/** act'(z) at the pre-activation z. */
export function activateGrad(z: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'gelu': {
      const t = Math.tanh(GELU_C * (z + 0.044715 * z * z * z));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * z * z);
    }
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
    default:
      return 1;
  }
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

// z = op(A)·op(B) + bias, before the activation; a, b stored as d says; out is (batch, M, N)
export function matmulPreact(a: ArrayLike<number>, b: ArrayLike<number>, d: MatmulDims, bias?: ArrayLike<number> | null): Float64Array {
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

// out = act(op(A)·op(B) + bias); out is (batch, M, N)
export function matmulForward(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  d: MatmulDims,
  bias?: ArrayLike<number> | null,
  act: Activation = 'none',
): Float64Array {
  return matmulPreact(a, b, d, bias).map((v) => activate(v, act));
}

export interface MatmulGradsF64 {
  /** Same storage layout as a (transposed when transA, no batch axis when broadcastA). */
  da: Float64Array;
  db: Float64Array;
  /** (N), when a bias was given. */
  dbias: Float64Array | null;
}

// dz = dout · act'(z);  dA = dz · op(B)ᵀ,  dB = op(A)ᵀ · dz  (summed over batches when broadcast),
// stored like A and B;  dbias = Σ_rows dz
export function matmulBackward(
  dout: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  d: MatmulDims,
  bias?: ArrayLike<number> | null,
  act: Activation = 'none',
): MatmulGradsF64 {
  const { batch, M, K, N } = d;
  const pre = matmulPreact(a, b, d, bias);
  const dz = pre.map((v, i) => dout[i]! * activateGrad(v, act));
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dz[(z * M + m) * N + n]!;
        for (let k = 0; k < K; k++) {
          da[aIndex(d, z, m, k)] += g * b[bIndex(d, z, k, n)]!;
          db[bIndex(d, z, k, n)] += g * a[aIndex(d, z, m, k)]!;
        }
      }
    }
  }
  return { da, db, dbias: bias ? columnSums(dz, batch * M, N) : null };
}

// out[n] = Σ_r x[r][n]; x is (rows, cols)
export function columnSums(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let n = 0; n < cols; n++) out[n] += x[r * cols + n]!;
  return out;
}

// dz = dy · act'(z)
export function activationBackward(dy: ArrayLike<number>, z: ArrayLike<number>, act: Activation): Float64Array {
  return Float64Array.from(dy, (g, i) => g * activateGrad(z[i]!, act));
}
