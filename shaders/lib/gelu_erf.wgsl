// The exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)) = ½x·erfc(−x/√2), Φ the standard normal CDF, and
// its derivative Φ(x) + x·φ(x) (`//!include lib/gelu_erf.wgsl`): BERT's hidden_act "gelu".
// Φ goes through erfc, not 1 + erf, so the left tail keeps its relative precision.
//
// erfc(z), |z| ≥ 0.75: Numerical Recipes in C, 2nd ed. (Press, Teukolsky, Vetterling, Flannery
// 1992), §6.2, function erfcc: erfc(z) = t·exp(−z² − 1.26551223 + t·P(t)), t = 1/(1 + z/2),
// z ≥ 0, a Chebyshev fit with fractional error below 1.2e-7 everywhere; erfc(−z) = 2 − erfc(z).
// |z| < 0.75: erf by its Maclaurin series (Abramowitz & Stegun 7.1.5) to z¹⁷ (truncation < 1e-9),
// because near 0 erfcc's exponent is a cancellation (−1.2655 + P ≈ 0) that costs ~3e-7 in f32.
// Emulated in f32 (numpy, exact-rounded exp) erf = 1 − erfc is then within 1.4e-7 of the true
// erf on [−6, 6] (A&S 7.1.26, the usual choice, is 1.5e-7 before f32 rounding).
// Far left (x ≲ −13, where Φ(x) underflows to 0 in f32) gelu_erf is 0 and its slope 0; that also
// keeps −∞·0 out of the results. NaN is the caller's to handle. No bindings; pure functions.

const GELU_ERF_SQRT1_2: f32 = 0.7071067811865476; // 1/√2
const GELU_ERF_INV_SQRT_2PI: f32 = 0.3989422804014327; // 1/√(2π)
const GELU_ERF_SERIES: f32 = 0.75; // |z| below which erf is summed as a series

// erfc(v) by erfcc (any v; used for |v| ≥ GELU_ERF_SERIES)
fn erfc_f32(v: f32) -> f32 {
  let z = abs(v);
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * exp(-z * z - 1.26551223 + p);
  return select(2.0 - r, r, v >= 0.0);
}

// erf(z) = (2/√π)·Σ (−1)ⁿ z^{2n+1}/(n!(2n+1)), n ≤ 8, for |z| < GELU_ERF_SERIES
fn erf_series_f32(z: f32) -> f32 {
  let z2 = z * z;
  return z * (1.1283791670955126 + z2 * (-0.37612638903183754 + z2 * (0.11283791670955126
         + z2 * (-0.026866170645131252 + z2 * (0.005223977625442188 + z2 * (-0.0008548327023450852
         + z2 * (0.00012055332981789664 + z2 * (-1.492565035840625e-05 + z2 * 1.6462114365889246e-06))))))));
}

// Φ(x) = ½·erfc(z), z = −x/√2
fn normal_cdf_f32(v: f32) -> f32 {
  let z = -v * GELU_ERF_SQRT1_2;
  if (abs(z) < GELU_ERF_SERIES) { return 0.5 - 0.5 * erf_series_f32(z); }
  return 0.5 * erfc_f32(z);
}

fn gelu_erf(v: f32) -> f32 {
  let c = normal_cdf_f32(v);
  return select(v * c, 0.0, c == 0.0);
}

// d/dx x·Φ(x) = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
fn gelu_erf_grad(v: f32) -> f32 {
  let phi = GELU_ERF_INV_SQRT_2PI * exp(-0.5 * v * v);
  return normal_cdf_f32(v) + select(v * phi, 0.0, phi == 0.0);
}
