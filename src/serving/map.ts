// A 2-D picture of a model's customers for the dashboard (GET /segments/map). Every customer's
// model-space coordinates (embedRow: the scoring arithmetic) are projected on their first two
// principal components; a deterministic sample (by a hash of the customer id, so the same
// customers come back on every call and, mostly, across versions) is returned.
// The sampling key is the customer hash of the aggregate layer (32-bit FNV-1a of the id).
import { customerHash } from '../aggregates/hash.ts'
import { compileBundle, embedRow } from '../pipeline/bundle.ts'
import { fitPca, projectRow } from '../pipeline/pca.ts'
import type { ServedModel } from '../registry/served.ts'

export interface Projection {
  /** rows x 2; NaN for a customer whose features cannot be embedded. */
  xy: Float64Array
  axes: { name: string; varianceShare: number; loadings: Record<string, number> }[]
  /** Row numbers of the embeddable customers, in sampling order. */
  order: Int32Array
}

// A served model never changes, so neither does its projection.
const projections = new WeakMap<ServedModel, Projection>()

/** Names of the model-space columns before the bundle's own PCA (if any). */
function modelColumnNames(m: ServedModel): string[] {
  const b = m.bundle
  return b.modelColumns.map((c) => b.features[b.inputs[c]!]!)
}

export function projectModel(m: ServedModel): Projection {
  const cached = projections.get(m)
  if (cached) return cached
  const c = compileBundle(m.bundle)
  const n = m.customerIds.length
  const d = m.bundle.features.length
  const coords = new Float64Array(n * c.dims)
  const valid: number[] = []
  for (let i = 0; i < n; i++) {
    try {
      embedRow(c, m.features, i * d, coords, i * c.dims)
      valid.push(i)
    } catch {
      // A customer the model cannot place (non-finite features) is left off the map.
    }
  }
  const nAxes = Math.min(2, c.dims)
  const xy = new Float64Array(n * 2).fill(NaN)
  const axes: Projection['axes'] = []
  const names = modelColumnNames(m)
  if (valid.length >= 2) {
    const data = new Float64Array(valid.length * c.dims)
    valid.forEach((i, r) => data.set(coords.subarray(i * c.dims, (i + 1) * c.dims), r * c.dims))
    const pca = fitPca({ rows: valid.length, cols: c.dims, data }, { rule: 'fixed', n: nAxes })
    const out = new Float64Array(nAxes)
    for (const i of valid) {
      projectRow(pca, coords, i * c.dims, out)
      xy[i * 2] = out[0]!
      xy[i * 2 + 1] = nAxes > 1 ? out[1]! : 0
    }
    pca.components.forEach((q, a) => {
      // Weights on the model columns: through the bundle's own PCA when the recipe has one.
      const bp = m.bundle.pca
      const w = bp ? names.map((_, j) => q.reduce((s, qc, k) => s + qc * bp.components[k]![j]!, 0)) : q
      axes.push({ name: `PC${a + 1}`, varianceShare: pca.explainedVarianceRatio[a]!, loadings: Object.fromEntries(names.map((f, j) => [f, round(w[j]!)])) })
    })
  } else {
    for (const i of valid) xy.fill(0, i * 2, i * 2 + 2)
  }
  const keys = new Uint32Array(n)
  for (const i of valid) keys[i] = customerHash(m.customerIds[i]!)
  const order = Int32Array.from(valid).sort((a, b) => keys[a]! - keys[b]! || a - b)
  const p: Projection = { xy, axes, order }
  projections.set(m, p)
  return p
}

const round = (v: number) => Math.round(v * 1e4) / 1e4

/** The map of a model: its axes and a deterministic sample of `sample` customers, in customer order. */
export function segmentMap(m: ServedModel, sample: number) {
  const { xy, axes, order } = projectModel(m)
  const rows = Array.from(order.subarray(0, sample)).sort((a, b) => a - b)
  const points = rows.map((i) => ({ customerId: m.customerIds[i]!, segment: m.segment[i]!, x: round(xy[i * 2]!), y: round(xy[i * 2 + 1]!) }))
  return { modelVersion: m.version, customers: m.customerIds.length, axes, points }
}
