// Small helpers on samples shared by the drift statistics: sorting (NaN dropped), numpy's
// rounding and moments.

/** A sorted Float64Array copy of the values (NaN removed). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++
  const out = new Float64Array(n)
  let j = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isNaN(v)) out[j++] = v
  }
  return out.sort()
}

/** Whether the values are ascending (no NaN). */
function isSorted(a: ArrayLike<number>): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i - 1]! <= a[i]!)) return false
  return true
}

/** The values themselves when already an ascending Float64Array, else a sorted copy. */
export function sorted(values: ArrayLike<number>): Float64Array {
  if (values instanceof Float64Array && isSorted(values)) return values
  return sortedCopy(values)
}

/** Round to the nearest integer, ties to even (numpy's np.round). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** Population (ddof = 0) mean and standard deviation, as np.mean / np.std. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length
  if (n === 0) return { mean: Number.NaN, std: Number.NaN }
  let sum = 0
  for (let i = 0; i < n; i++) sum += values[i]!
  const mean = sum / n
  let ss = 0
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean
    ss += d * d
  }
  return { mean, std: Math.sqrt(ss / n) }
}
