// Special functions behind the drift tests' p-values, written here (Numerical Recipes / Cephes
// style) and checked against published tables in test/drift.test.ts:
//   - lnGamma: Lanczos approximation (Numerical Recipes 3rd ed. §6.1, 14 terms), |rel err| < 1e-14.
//   - regularizedGammaP/Q: series for x < a + 1, Lentz continued fraction otherwise (NR §6.2).
//   - erfc = Q(1/2, x²), so the normal tail is computed without cancellation.
//   - chiSquaredSf(x, k) = Q(k/2, x/2).

const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  0.00003399464998481189, 0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125,
  -0.00021026444172410488, 0.00021743961811521265, -0.0001643181065367639, 0.00008441822398385275,
  -0.000026190838401581408, 0.0000036899182659531625,
]

/** ln Γ(x) for x > 0 (Lanczos, NR3 gammln). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, got ${x}`)
  let y = x
  let tmp = x + 5.2421875
  tmp = (x + 0.5) * Math.log(tmp) - tmp
  let ser = 0.9999999999999971
  for (const c of LANCZOS) ser += c / ++y
  return tmp + Math.log((2.5066282746310007 * ser) / x)
}

const EPS = 2.220446049250313e-16
const TINY = 1e-300
const MAX_ITER = 100_000

/** Series for P(a, x), valid (fast) for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let ap = a
  let del = 1 / a
  let sum = del
  for (let i = 0; i < MAX_ITER; i++) {
    ap += 1
    del *= x / ap
    sum += del
    if (Math.abs(del) < Math.abs(sum) * EPS) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a))
}

/** Continued fraction for Q(a, x) (modified Lentz), valid (fast) for x ≥ a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) break
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN
  if (x === 0) return 0
  if (x === Infinity) return 1
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQContinuedFraction(a, x)
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), computed without cancellation. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN
  if (x === 0) return 1
  if (x === Infinity) return 0
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQContinuedFraction(a, x)
}

/** Complementary error function, erfc(x) = Q(1/2, x²) for x ≥ 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x
  return x >= 0 ? regularizedGammaQ(0.5, x * x) : 1 + regularizedGammaP(0.5, x * x)
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2)
}

/** Standard normal survival function 1 - Φ(x), accurate far into the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2)
}

/** Survival function of the chi-squared distribution with `dof` degrees of freedom. */
export function chiSquaredSf(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN
  if (Number.isNaN(x)) return x
  if (x <= 0) return 1
  return regularizedGammaQ(dof / 2, x / 2)
}
