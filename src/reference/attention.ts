// Float64 reference of multi-head attention, O = softmax(scale·Q·Kᵀ + mask)·V, computed the
// explicit way (the full Tq×Tk matrix per head) so it is an independent oracle for the
// flash-style kernels in shaders/attention.wgsl. Its backward is the textbook one, using
// rowsum(P ⊙ dP) rather than the kernels' D = rowsum(dO ⊙ O), which is the same number.
//
// Masking: key j is visible to query i when j < kvLen[b] (key padding, per batch) and, when
// causal, j ≤ i + (Tk − Tq) (bottom-right aligned, so Tq = Tk gives the usual j ≤ i). A query
// row that sees no key has output 0, logsumexp −∞ and zero gradients.

export interface AttentionShape {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  d: number;
}

export interface AttentionMask {
  causal?: boolean;
  /** Per-batch key lengths (B): keys j ≥ kvLen[b] are padding. Absent: every key is real. */
  kvLen?: ArrayLike<number>;
  /** Score scale; default 1/√d. */
  scale?: number;
}

/** Number of keys (a prefix) query i of batch b may see. */
export function visibleKeys(s: AttentionShape, m: AttentionMask, b: number, i: number): number {
  let n = s.Tk;
  if (m.kvLen) n = Math.min(n, Math.max(0, m.kvLen[b]!));
  if (m.causal) n = Math.min(n, Math.max(0, i + 1 + s.Tk - s.Tq));
  return n;
}

function scaleOf(s: AttentionShape, m: AttentionMask): number {
  return m.scale ?? 1 / Math.sqrt(s.d);
}

/** Softmax probabilities of one (b, h, i) row over its visible keys, and their logsumexp. */
function rowProbs(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  s: AttentionShape,
  m: AttentionMask,
  b: number,
  h: number,
  i: number,
): { p: Float64Array; lse: number } {
  const { H, Tq, Tk, d } = s;
  const n = visibleKeys(s, m, b, i);
  const qo = ((b * H + h) * Tq + i) * d;
  const ko = (b * H + h) * Tk * d;
  const scale = scaleOf(s, m);
  const sc = new Float64Array(n);
  let mx = -Infinity;
  for (let j = 0; j < n; j++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += q[qo + c]! * k[ko + j * d + c]!;
    sc[j] = dot * scale;
    mx = Math.max(mx, sc[j]!); // NaN-propagating, unlike WGSL max
  }
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(sc[j]! - mx);
  const p = sc.map((x) => Math.exp(x - mx) / sum);
  return { p, lse: n === 0 ? -Infinity : mx + Math.log(sum) };
}

// q is (B,H,Tq,d), k and v are (B,H,Tk,d); out is (B,H,Tq,d), lse is (B,H,Tq).
export function attentionForward(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: AttentionShape,
  m: AttentionMask = {},
): { out: Float64Array; lse: Float64Array } {
  const { B, H, Tq, Tk, d } = s;
  const out = new Float64Array(B * H * Tq * d);
  const lse = new Float64Array(B * H * Tq);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const row = (b * H + h) * Tq + i;
        const { p, lse: l } = rowProbs(q, k, s, m, b, h, i);
        lse[row] = l;
        const vo = (b * H + h) * Tk * d;
        for (let j = 0; j < p.length; j++) {
          for (let c = 0; c < d; c++) out[row * d + c]! += p[j]! * v[vo + j * d + c]!;
        }
      }
    }
  }
  return { out, lse };
}

// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
// dout is (B,H,Tq,d); dq is (B,H,Tq,d), dk and dv are (B,H,Tk,d).
export function attentionBackward(
  dout: ArrayLike<number>,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: AttentionShape,
  m: AttentionMask = {},
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, H, Tq, Tk, d } = s;
  const scale = scaleOf(s, m);
  const dq = new Float64Array(B * H * Tq * d);
  const dk = new Float64Array(B * H * Tk * d);
  const dv = new Float64Array(B * H * Tk * d);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const ko = (b * H + h) * Tk * d;
      for (let i = 0; i < Tq; i++) {
        const qo = ((b * H + h) * Tq + i) * d;
        const { p } = rowProbs(q, k, s, m, b, h, i);
        const dp = new Float64Array(p.length);
        let rowDot = 0;
        for (let j = 0; j < p.length; j++) {
          for (let c = 0; c < d; c++) dp[j]! += dout[qo + c]! * v[ko + j * d + c]!;
          rowDot += p[j]! * dp[j]!;
        }
        for (let j = 0; j < p.length; j++) {
          const ds = p[j]! * (dp[j]! - rowDot) * scale;
          for (let c = 0; c < d; c++) {
            dv[ko + j * d + c]! += p[j]! * dout[qo + c]!;
            dq[qo + c]! += ds * k[ko + j * d + c]!;
            dk[ko + j * d + c]! += ds * q[qo + c]!;
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
