// Dense helpers on the shared row-major `Matrix`. Kept tiny and explicit: every distance in the
// model goes through `sqDist`, so training and scoring compute bit-identical values.
import type { Matrix } from './types.ts'

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  const d = data ?? new Float64Array(rows * cols)
  if (d.length !== rows * cols) throw new RangeError(`matrix data has ${d.length} values, expected ${rows}x${cols}`)
  return { rows, cols, data: d }
}

export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length
  const d = n === 0 ? 0 : rows[0]!.length
  const m = matrix(n, d)
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    if (r.length !== d) throw new RangeError(`row ${i} has ${r.length} values, expected ${d}`)
    for (let j = 0; j < d; j++) m.data[i * d + j] = r[j]!
  }
  return m
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = []
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)))
  return out
}

/** The rows `idx` of `m` (repeats allowed, as in a bootstrap resample). */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const d = m.cols
  const out = matrix(idx.length, d)
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i]! * d
    out.data.set(m.data.subarray(s, s + d), i * d)
  }
  return out
}

/** The columns `cols` of `m`, in that order. */
export function takeCols(m: Matrix, cols: readonly number[]): Matrix {
  const out = matrix(m.rows, cols.length)
  const c = cols.length
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < c; j++) out.data[i * c + j] = m.data[i * m.cols + cols[j]!]!
  }
  return out
}

/** Squared Euclidean distance between a[ao..ao+d) and b[bo..bo+d), summed left to right. */
export function sqDist(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let s = 0
  for (let j = 0; j < d; j++) {
    const t = a[ao + j]! - b[bo + j]!
    s += t * t
  }
  return s
}

/** Column means. */
export function colMeans(m: Matrix): Float64Array {
  const mu = new Float64Array(m.cols)
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mu[j]! += m.data[i * m.cols + j]!
  for (let j = 0; j < m.cols; j++) mu[j]! /= m.rows
  return mu
}

/** Population variances (ddof 0), two-pass. */
export function colVariances(m: Matrix, mean = colMeans(m)): Float64Array {
  const v = new Float64Array(m.cols)
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const t = m.data[i * m.cols + j]! - mean[j]!
      v[j]! += t * t
    }
  }
  for (let j = 0; j < m.cols; j++) v[j]! /= m.rows
  return v
}
