// Jensen-Shannon distance between two discrete distributions (scipy's jensenshannon).

/**
 * Jensen-Shannon distance between two discrete distributions, as
 * scipy.spatial.distance.jensenshannon(p, q, base): both vectors are normalised to sum 1, then
 * sqrt((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q) / 2. Natural log by default (scipy's and so
 * Evidently's default; the value is then in [0, sqrt(ln 2)] ≈ [0, 0.8326]); base 2 gives [0, 1].
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new RangeError('jensenShannonDistance needs vectors of the same length')
  let sp = 0
  let sq = 0
  for (let i = 0; i < p.length; i++) {
    if (p[i]! < 0 || q[i]! < 0) throw new RangeError('jensenShannonDistance needs non-negative weights')
    sp += p[i]!
    sq += q[i]!
  }
  if (!(sp > 0) || !(sq > 0)) return Number.NaN
  let js = 0
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp
    const b = q[i]! / sq
    // a / m with m = (a + b) / 2, written so that a subnormal a (5e-324) does not make m 0.
    const s = a + b
    // Sum the pair first so that swapping p and q gives the very same number.
    js += (a > 0 ? a * Math.log((2 * a) / s) : 0) + (b > 0 ? b * Math.log((2 * b) / s) : 0)
  }
  js /= 2
  if (base !== undefined) js /= Math.log(base)
  return Math.sqrt(Math.max(0, js))
}
