// Fitted, serialisable column transforms. `fitTransform` learns plain-JSON params from a matrix,
// `applyTransform` applies them. Each transform rewrites only its own columns, in place on a
// copy, so a chain keeps the column layout (as the original's ColumnTransformer output did).
// Matrix and single-row application share one code path (`applyTransformsToRow`), so scoring a
// training customer reproduces its training coordinates bit for bit.
import type { Matrix } from './types.ts'

export type TransformKind = 'standardize' | 'log1p' | 'signedLog1p' | 'l2normalize' | 'passthrough'

/** What to fit: a kind and the column indices it applies to. */
export interface TransformSpec {
  kind: TransformKind
  columns: number[]
}

export interface StandardizeParams {
  kind: 'standardize'
  columns: number[]
  /** Column means of the fitting data. */
  mean: number[]
  /** Population standard deviations (ddof 0, like sklearn's StandardScaler); 1 for constant columns. */
  scale: number[]
}

/** Stateless transforms: fitting only records the columns. */
export interface StatelessParams {
  kind: 'log1p' | 'signedLog1p' | 'l2normalize' | 'passthrough'
  columns: number[]
}

export type TransformParams = StandardizeParams | StatelessParams

export function signedLog1p(x: number): number {
  return x < 0 ? -Math.log1p(-x) : Math.log1p(x)
}

function checkColumns(columns: readonly number[], cols: number): void {
  for (const c of columns) {
    if (!Number.isInteger(c) || c < 0 || c >= cols) throw new RangeError(`transform column ${c} outside 0..${cols - 1}`)
  }
}

/** Learn the params of one transform from `m` (which is not modified). */
export function fitTransform(spec: TransformSpec, m: Matrix): TransformParams {
  checkColumns(spec.columns, m.cols)
  const columns = [...spec.columns]
  if (spec.kind !== 'standardize') {
    if (spec.kind === 'log1p') {
      for (const c of columns) {
        for (let i = 0; i < m.rows; i++) {
          if (!(m.data[i * m.cols + c]! > -1)) throw new RangeError(`log1p needs values > -1; column ${c} row ${i} is ${m.data[i * m.cols + c]}`)
        }
      }
    }
    return { kind: spec.kind, columns }
  }
  const mean: number[] = []
  const scale: number[] = []
  const n = m.rows
  for (const c of columns) {
    let s = 0
    for (let i = 0; i < n; i++) s += m.data[i * m.cols + c]!
    const mu = s / n
    let v = 0
    for (let i = 0; i < n; i++) {
      const t = m.data[i * m.cols + c]! - mu
      v += t * t
    }
    const sd = Math.sqrt(v / n)
    mean.push(mu)
    // sklearn's _handle_zeros_in_scale: a (numerically) constant column is left unscaled.
    scale.push(sd > 10 * Number.EPSILON * Math.max(1, Math.abs(mu)) ? sd : 1)
  }
  return { kind: 'standardize', columns, mean, scale }
}

/** Apply one transform to a row (`row[off..off+cols)`), in place. */
export function applyTransformToRow(p: TransformParams, row: Float64Array, off = 0): void {
  const cs = p.columns
  switch (p.kind) {
    case 'standardize':
      for (let j = 0; j < cs.length; j++) {
        const at = off + cs[j]!
        row[at] = (row[at]! - p.mean[j]!) / p.scale[j]!
      }
      return
    case 'log1p':
      for (const c of cs) row[off + c] = Math.log1p(row[off + c]!)
      return
    case 'signedLog1p':
      for (const c of cs) row[off + c] = signedLog1p(row[off + c]!)
      return
    case 'l2normalize': {
      // sklearn Normalizer(norm='l2'): divide the group by its Euclidean norm; all-zero stays zero.
      let s = 0
      for (const c of cs) {
        const v = row[off + c]!
        s += v * v
      }
      const norm = Math.sqrt(s)
      if (norm !== 0) for (const c of cs) row[off + c] = row[off + c]! / norm
      return
    }
    case 'passthrough':
      return
  }
}

/** Apply a chain of transforms to one row, in place. */
export function applyTransformsToRow(params: readonly TransformParams[], row: Float64Array, off = 0): void {
  for (const p of params) applyTransformToRow(p, row, off)
}

/** A transformed copy of `m`. */
export function applyTransform(p: TransformParams, m: Matrix): Matrix {
  return applyTransforms([p], m)
}

/** A copy of `m` with the chain applied row by row. */
export function applyTransforms(params: readonly TransformParams[], m: Matrix): Matrix {
  for (const p of params) checkColumns(p.columns, m.cols)
  const data = Float64Array.from(m.data)
  for (let i = 0; i < m.rows; i++) applyTransformsToRow(params, data, i * m.cols)
  return { rows: m.rows, cols: m.cols, data }
}

/** Fit a chain: each step is fitted on the output of the previous ones. */
export function fitTransforms(specs: readonly TransformSpec[], m: Matrix): { params: TransformParams[]; output: Matrix } {
  const params: TransformParams[] = []
  let cur = m
  for (const s of specs) {
    const p = fitTransform(s, cur)
    params.push(p)
    cur = applyTransform(p, cur)
  }
  return { params, output: cur }
}
