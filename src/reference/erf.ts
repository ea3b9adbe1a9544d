// The error function in float64 (JavaScript has no Math.erf), for the exact GELU's reference
// (elementwise.ts). Accurate to a few ulp, ~1e-15 relative, for erf and for erfc, including
// erfc's far tail (test/unit/erf.test.ts checks both against tabulated values):
//
//   |x| < 1   erf(x) = (2/√π)·e^{−x²}·Σ_{n≥0} 2ⁿx^{2n+1}/(1·3·…·(2n+1))   (A&S 7.1.6): every term
//             positive, so no cancellation; ~20 terms at |x| = 1.
//   x ≥ 1     erfc(x) = (e^{−x²}/√π) / (x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))   (A&S 7.1.14,
//             the Laplace continued fraction), by the modified Lentz method; ~170 terms at x = 1,
//             ~40 at x = 2, fewer beyond. e^{−x²} is taken as e^{−h²}·e^{−(x−h)(x+h)}, h = x
//             rounded to 24 bits (h² is exact), so the rounding of x² does not cost x²·ε.
//   the rest  erf(−x) = −erf(x), erfc(x) = 1 − erf(x) (|x| < 1), erfc(−x) = 2 − erfc(x).
// NaN gives NaN; erf(±∞) = ±1, erfc(+∞) = 0, erfc(−∞) = 2.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** erfc(x) is below the smallest float64 (≈ 4.9e-324) past this. */
const ERFC_UNDERFLOW = 27.3;

/** e^{−x²} without the error of rounding x² (h² is exact for a 24-bit h). */
function expMinusSquare(x: number): number {
  const h = Math.fround(x);
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}

// |x| < 1: the all-positive series
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

// x ≥ 1: the continued fraction x + K_{n≥1}((n/2) / x), modified Lentz
function erfcContinuedFraction(x: number): number {
  if (x > ERFC_UNDERFLOW) return 0;
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / (Math.abs(c) < tiny ? tiny : c);
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (INV_SQRT_PI * expMinusSquare(x)) / f;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const v = a < 1 ? erfSeries(a) : 1 - erfcContinuedFraction(a);
  return x < 0 ? -v : v;
}

/** 1 − erf(x), with full relative precision where it is tiny (large positive x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 1) return x < 0 ? 1 + erfSeries(a) : 1 - erfSeries(a);
  return x < 0 ? 2 - erfcContinuedFraction(a) : erfcContinuedFraction(a);
}
