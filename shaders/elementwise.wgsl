//!include lib/float.wgsl
//!include lib/sigmoid.wgsl
//!include lib/gelu.wgsl
//!include lib/gelu_erf.wgsl
//!include lib/grid.wgsl
// Elementwise kernels: unary activations (forward and backward), an in-place y = αx + β, and
// binary add / sub / mul / div with NumPy broadcasting (forward, and backward at the output
// shape; src/ops/elementwise.ts then sums each gradient over its broadcast axes).
//
// OP (override) picks the operation, one of the UNARY_* or BINARY_* codes below (the same
// numbers as UNARY_ID / BINARY_ID in src/ops/elementwise.ts; test/unit/opcodes.test.ts ties them).
// The switch is resolved when the pipeline is created, so each pipeline runs one straight-line op.
// (The switch reads `let op = OP`: wgsl_reflect does not see an override used directly as a
// switch selector, and would drop the constant.)
//
// Bindings (f32, n = element count of the output):
//   unary_fwd       x (n) read, y (n) rw, up
//   unary_bwd       s (n) read: the saved x or y (table UNARY_SAVES in src/reference/elementwise.ts),
//                   dy (n) read, dx (n) rw, up
//   affine_inplace  xy (n) rw, up
//   binary_fwd      a, b read (their own shapes, read through strides), c (n) rw, bp
//   binary_bwd      dy (n), a, b read, da (n), db (n) rw: dy·∂c/∂a and dy·∂c/∂b at the OUTPUT shape
// Dispatch: flat grid of ceil(n / WG) workgroups (split over x and y by the recorder); one element
// per invocation; no workgroup memory, no barriers.
// Broadcasting: bp.axes[d] = (size, stride of a, stride of b, 0) for output axis d < RANK ≤ 8,
// after the host merged adjacent axes that broadcast alike; strides are 0 on broadcast axes.
//
// NaN: a NaN operand gives NaN (checked on the bits, since WGSL leaves NaN behaviour of built-ins
// and comparisons implementation-defined); in backward a NaN saved value or dy gives NaN.
// Large |x|: tanh's argument is clamped to ±15 (tanh is exactly ±1 in f32 there; some drivers
// overflow past ~44); sigmoid and gelu use exp(−|z|) only, which cannot overflow; gelu is
// computed as x·σ(2u), identical to ½x(1 + tanh u) but free of cancellation for negative x, and
// saturates to x or 0 (slope 1 or 0) past |2u| = 80; gelu_erf (lib/gelu_erf.wgsl) is 0 with
// slope 0 where Φ(x) underflows (x ≲ −13) and goes through erfc, which cannot overflow.

override OP: u32 = 0u;
override WG: u32 = 256u;
// A_FULL / B_FULL: the operand has the output's element count and is read at the output index
// (not broadcast); its index arithmetic is then dead code.
override A_FULL: bool = false;
override B_FULL: bool = false;
// Output axes after merging (1..8). A constant, so the per-axis steps are unrolled with fixed
// axis numbers: on SwiftShader a loop over axes reading dynamically indexed uniforms made a bias
// add ~4x slower than a same-shape add; unrolled it costs ~1.5x.
override RANK: u32 = 1u;

// Values of OP: unary ops (with the parameters they read) and binary ops.
const UNARY_EXP: u32 = 0u;
const UNARY_LOG: u32 = 1u;
const UNARY_SQRT: u32 = 2u;
const UNARY_TANH: u32 = 3u;
const UNARY_SIGMOID: u32 = 4u;
const UNARY_RELU: u32 = 5u;
const UNARY_LEAKY_RELU: u32 = 6u;  // α
const UNARY_ELU: u32 = 7u;         // α
const UNARY_GELU: u32 = 8u;
const UNARY_STEP: u32 = 9u;
const UNARY_AFFINE: u32 = 10u;     // α, β
const UNARY_GELU_ERF: u32 = 11u;
const BINARY_ADD: u32 = 0u;
const BINARY_SUB: u32 = 1u;
const BINARY_MUL: u32 = 2u;
const BINARY_DIV: u32 = 3u;

struct UnaryParams {
  n: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
};

struct BinaryParams {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  axes: array<vec4<u32>, 8>,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> up: UnaryParams;
@group(0) @binding(3) var<storage, read> s: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> xy: array<f32>;
@group(0) @binding(7) var<storage, read> a: array<f32>;
@group(0) @binding(8) var<storage, read> b: array<f32>;
@group(0) @binding(9) var<storage, read_write> c: array<f32>;
@group(0) @binding(10) var<uniform> bp: BinaryParams;
@group(0) @binding(11) var<storage, read_write> da: array<f32>;
@group(0) @binding(12) var<storage, read_write> db: array<f32>;

// r unless p or q is NaN (then that NaN)
fn nan_or(r: f32, p: f32, q: f32) -> f32 {
  if (is_nan(p)) { return p; }
  if (is_nan(q)) { return q; }
  return r;
}

// e^x − 1 with full relative precision near 0 (Taylor to x⁵ below |x| = 0.1).
fn expm1_f32(v: f32) -> f32 {
  if (abs(v) < 0.1) {
    return v * (1.0 + v * (0.5 + v * (1.0 / 6.0 + v * (1.0 / 24.0 + v * (1.0 / 120.0)))));
  }
  return exp(v) - 1.0;
}

fn unary_f(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  let op = OP;
  switch op {
    case UNARY_EXP: { return exp(v); }
    case UNARY_LOG: {
      if (v < 0.0) { return quiet_nan(); }
      if (v == 0.0) { return neg_inf(); }
      return log(v);
    }
    case UNARY_SQRT: {
      if (v < 0.0) { return quiet_nan(); }
      return sqrt(v);
    }
    case UNARY_TANH: { return tanh(clamp(v, -15.0, 15.0)); }
    case UNARY_SIGMOID: { return sigmoid_pair(v).x; }
    case UNARY_RELU: { return select(0.0, v, v > 0.0); }
    case UNARY_LEAKY_RELU: { return select(up.alpha * v, v, v > 0.0); }
    case UNARY_ELU: { return select(up.alpha * expm1_f32(v), v, v > 0.0); }
    case UNARY_GELU: { return gelu(v); }
    case UNARY_GELU_ERF: { return gelu_erf(v); }
    case UNARY_STEP: { return select(0.0, 1.0, v >= 0.0); }
    case UNARY_AFFINE, default: { return up.alpha * v + up.beta; }
  }
}

// f' written in terms of the saved value sv (x or y, per op)
fn unary_df(sv: f32) -> f32 {
  if (is_nan(sv)) { return sv; }
  let op = OP;
  switch op {
    case UNARY_EXP: { return sv; }                             // e^x = y
    case UNARY_LOG: { return 1.0 / sv; }                       // 1/x
    case UNARY_SQRT: { return 0.5 / sv; }                      // 1/(2y)
    case UNARY_TANH: { return 1.0 - sv * sv; }                 // 1 − y²
    case UNARY_SIGMOID: { return sv * (1.0 - sv); }            // y(1 − y)
    case UNARY_RELU: { return select(0.0, 1.0, sv > 0.0); }    // from y
    case UNARY_LEAKY_RELU: { return select(up.alpha, 1.0, sv > 0.0); }
    case UNARY_ELU: { return select(up.alpha * exp(sv), 1.0, sv > 0.0); }
    case UNARY_GELU: { return gelu_grad(sv); }                 // from x (lib/gelu.wgsl)
    case UNARY_GELU_ERF: { return gelu_erf_grad(sv); }         // Φ(x) + xφ(x) (lib/gelu_erf.wgsl)
    case UNARY_STEP: { return 0.0; }
    case UNARY_AFFINE, default: { return up.alpha; }
  }
}

// y = f(x)
@compute @workgroup_size(WG, 1, 1)
fn unary_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= up.n) { return; }
  y[i] = unary_f(x[i]);
}

// dx = dy · f'(s)
@compute @workgroup_size(WG, 1, 1)
fn unary_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= up.n) { return; }
  let g = dy[i];
  let d = unary_df(s[i]);
  dx[i] = nan_or(g * d, g, d);
}

// xy ← α·xy + β (optimizer scaling); its backward is dx = α·dy (unary_bwd with OP = 10)
@compute @workgroup_size(WG, 1, 1)
fn affine_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= up.n) { return; }
  let v = xy[i];
  xy[i] = nan_or(up.alpha * v + up.beta, v, v);
}

// Peel output axis d off the remaining flat index: st = (remaining index, index of a, of b).
fn peel_axis(d: u32, st: ptr<function, vec3<u32>>) {
  let ax = bp.axes[d];
  let q = (*st).x / ax.x;
  let coord = (*st).x - q * ax.x;
  *st = vec3<u32>(q, (*st).y + coord * ax.y, (*st).z + coord * ax.z);
}

// Flat indices of a and b for output element i (the output is row-major over bp.axes): one
// integer division per axis but the outermost, whose coordinate is what remains.
fn operand_index(i: u32) -> vec2<u32> {
  if (A_FULL && B_FULL) { return vec2<u32>(i, i); }
  var st = vec3<u32>(i, 0u, 0u);
  if (RANK > 7u) { peel_axis(7u, &st); }
  if (RANK > 6u) { peel_axis(6u, &st); }
  if (RANK > 5u) { peel_axis(5u, &st); }
  if (RANK > 4u) { peel_axis(4u, &st); }
  if (RANK > 3u) { peel_axis(3u, &st); }
  if (RANK > 2u) { peel_axis(2u, &st); }
  if (RANK > 1u) { peel_axis(1u, &st); }
  let ia = st.y + st.x * bp.axes[0].y;
  let ib = st.z + st.x * bp.axes[0].z;
  return vec2<u32>(select(ia, i, A_FULL), select(ib, i, B_FULL));
}

fn binary_f(u: f32, v: f32) -> f32 {
  let op = OP;
  switch op {
    case BINARY_ADD: { return u + v; }
    case BINARY_SUB: { return u - v; }
    case BINARY_MUL: { return u * v; }
    case BINARY_DIV, default: { return u / v; }
  }
}

// c = a ∘ b (broadcast)
@compute @workgroup_size(WG, 1, 1)
fn binary_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= bp.n) { return; }
  let ix = operand_index(i);
  let u = a[ix.x];
  let v = b[ix.y];
  c[i] = nan_or(binary_f(u, v), u, v);
}

// da = dy·∂c/∂a, db = dy·∂c/∂b at the output shape:
// add (1, 1), sub (1, −1), mul (b, a), div (1/b, −a/b² = −(dy/b)·(a/b))
@compute @workgroup_size(WG, 1, 1)
fn binary_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= bp.n) { return; }
  let ix = operand_index(i);
  let g = dy[i];
  let u = a[ix.x];
  let v = b[ix.y];
  var ga = g;
  var gb = g;
  let op = OP;
  switch op {
    case BINARY_ADD: { }
    case BINARY_SUB: { gb = -g; }
    case BINARY_MUL: {
      ga = nan_or(g * v, g, v);
      gb = nan_or(g * u, g, u);
    }
    case BINARY_DIV, default: {
      let q = g / v;
      ga = nan_or(q, g, v);
      gb = nan_or(-q * (u / v), ga, u);
    }
  }
  da[i] = ga;
  db[i] = gb;
}
