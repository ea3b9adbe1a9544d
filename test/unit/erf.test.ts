// The float64 erf / erfc (src/reference/erf.ts) against values computed with mpmath at 40 digits
// (rounded to float64), and the exact GELU reference built on it: its values, its agreement with
// the tanh GELU within the approximation's known error, and its tails.
import { test } from 'node:test';
import { erf, erfc } from '../../src/reference/erf';
import { unaryBackward, unaryForward } from '../../src/reference/elementwise';
import { assert, assertClose } from '../harness/assert';

// mpmath.erf(x), mpmath.erfc(x) at mp.dps = 40, as float64
const ERF: [number, number][] = [
  [0, 0],
  [1e-8, 1.1283791670955126e-8],
  [0.01, 0.011283415555849618],
  [0.1, 0.1124629160182849],
  [0.3, 0.3286267594591274],
  [0.5, 0.5204998778130465],
  [-0.5, -0.5204998778130465],
  [0.9, 0.7969082124228322],
  [0.999, 0.8422852702064969],
  [1, 0.8427007929497149],
  [1.001, 0.8431154854780762],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3, 0.9999779095030014],
  [-3, -0.9999779095030014],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [6, 1],
];
const ERFC: [number, number][] = [
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [1.5, 0.033894853524689274],
  [-1.5, 1.9661051464753108],
  [2, 0.004677734981047266],
  [3, 2.209049699858544e-5],
  [5, 1.537459794428035e-12],
  [8, 1.1224297172982926e-29],
  [10, 2.088487583762545e-45],
  [15, 7.212994172451207e-100],
  [20, 5.395865611607901e-176],
  [26, 5.663192408856143e-296],
];

test('erf matches mpmath to ~1e-15 relative', () => {
  const got = ERF.map(([x]) => erf(x));
  assertClose(
    got,
    ERF.map(([, v]) => v),
    { atol: 1e-300, rtol: 2e-15 },
    'erf',
  );
});

test('erfc keeps its relative precision in the far tail', () => {
  const got = ERFC.map(([x]) => erfc(x));
  assertClose(
    got,
    ERFC.map(([, v]) => v),
    { atol: 1e-320, rtol: 5e-15 },
    'erfc',
  );
});

test('erf and erfc: limits, NaN, symmetry, erf + erfc = 1', () => {
  assert(erf(Infinity) === 1 && erf(-Infinity) === -1, 'erf(±∞) = ±1');
  assert(erfc(Infinity) === 0 && erfc(-Infinity) === 2, 'erfc(+∞) = 0, erfc(−∞) = 2');
  assert(Number.isNaN(erf(NaN)) && Number.isNaN(erfc(NaN)), 'NaN in, NaN out');
  assert(erfc(30) === 0, 'erfc underflows to 0 past ~27');
  for (let x = -4; x <= 4; x += 0.37) {
    assert(Math.abs(erf(x) + erfc(x) - 1) < 4e-16, `erf + erfc = 1 at ${x}`);
    assert(erf(-x) === -erf(x), `erf is odd at ${x}`);
  }
});

test('gelu_erf reference: ½x(1 + erf(x/√2)), within 1e-3 of the tanh form, tails', () => {
  const xs = [-3, -1, -0.5, 0, 0.5, 1, 3];
  // x·Φ(x), Φ = mpmath.ncdf at 40 digits
  const want = [
    -0.0040496940948902835, -0.15865525393145705, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429,
    2.99595030590511,
  ];
  assertClose(unaryForward('gelu_erf', xs), want, { atol: 1e-300, rtol: 2e-15 }, 'gelu_erf values');
  // the tanh approximation differs from the exact GELU by at most ~5e-4 (Hendrycks & Gimpel)
  const grid = Array.from({ length: 161 }, (_, i) => -8 + i * 0.1);
  const exact = unaryForward('gelu_erf', grid);
  const approx = unaryForward('gelu', grid);
  assertClose(approx, exact, { atol: 1e-3, rtol: 0 }, 'tanh GELU vs exact GELU');
  // left tail: x·Φ(x) is tiny but keeps its relative precision (erfc, not 1 + erf); rounding
  // x/√2 alone costs 2(x/√2)²·ε ≈ 4e-14 relative at x = −20 (d log erfc(z)/dz ≈ −2z)
  const tail = unaryForward('gelu_erf', [-20]);
  assertClose(tail, [-5.507248237212468e-88], { atol: 0, rtol: 1e-13 }, 'gelu_erf(-20)');
  const dx = unaryBackward('gelu_erf', [1, 1, 1], [0, 40, -40]);
  assertClose(dx, [0.5, 1, 0], { atol: 1e-300, rtol: 1e-15 }, "gelu_erf' at 0, ±40");
});
