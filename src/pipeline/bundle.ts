// Everything needed to score a customer with a trained model, as plain JSON. Scoring goes
// raw feature row → the model's input columns → fitted transforms → model columns → PCA (seed)
// → nearest centroid, with exactly the arithmetic used in training (`embedRow` is shared), so a
// training customer's raw features score to its training segment bit for bit.
import type { FeatureStats, FeatureTable, Matrix, ProductRank, RecipeName, SegmentName, SegmentProfiles } from './types.ts'
import { applyTransformsToRow, type TransformParams } from './transforms.ts'
import { projectRow, type PcaModel } from './pca.ts'
import { nearestCentroid } from './kmeans.ts'
import { sqDist } from './linalg.ts'
import { isRecipe, recipeId } from './recipe-id.ts'

export const BUNDLE_FORMAT_VERSION = 1

/** Per-feature statistics of a segment (profiles.ts: SegmentProfile.profile). */
export type SegmentProfileStats = Record<string, FeatureStats>

/** Name, description, profile and top products of one segment (names.ts, profiles.ts, recommend.ts). */
export interface SegmentAnnotation {
  id: number
  name?: string | null
  description?: string | null
  profile?: SegmentProfileStats | null
  topProducts?: ProductRank[] | null
}

/** Annotations by segment id from the outputs of nameSegments, profileSegments and topProductsBySegment. */
export function annotationsFrom(
  ids: readonly number[],
  parts: { names?: readonly SegmentName[]; profiles?: SegmentProfiles; topProducts?: readonly (readonly ProductRank[])[] },
): SegmentAnnotation[] {
  return ids.map((id) => {
    const a: SegmentAnnotation = { id }
    const name = parts.names?.find((n) => n.segment === id)
    if (name) {
      a.name = name.name
      a.description = name.description
    }
    const profile = parts.profiles?.segments[id]
    if (profile) a.profile = profile.profile
    const top = parts.topProducts?.[id]
    if (top) a.topProducts = [...top]
    return a
  })
}

export interface Segment {
  id: number
  name: string | null
  description: string | null
  /** Training customers assigned to the segment (all of them, flagged outliers included). */
  size: number
  share: number
  /** Mean of the ordering column (labelOrder.by) over the segment's training customers. */
  orderValue: number
  profile: SegmentProfileStats | null
  topProducts: ProductRank[] | null
}

export type OutlierRule =
  | { method: 'isolationForest'; contamination: number; threshold: number; action: 'drop' | 'flag'; flagged: number }
  | { method: 'zscore'; threshold: number; action: 'flag'; flagged: number }
  | { method: 'none'; flagged: 0 }

export interface ModelBundle {
  formatVersion: typeof BUNDLE_FORMAT_VERSION
  recipe: RecipeName
  recipeVersion: number
  /** FeatureTable.referenceDate of the training data (epoch ms). */
  referenceDate: number
  /** Layout of a raw feature row (the recipe's FeatureTable columns). */
  features: string[]
  /** Indices into `features` of the columns the model reads; transform columns index this list. */
  inputs: number[]
  transforms: TransformParams[]
  /** Indices (into the transformed inputs) of the columns fed to PCA / the distance. */
  modelColumns: number[]
  pca: PcaModel | null
  /** One per segment, in the order of `segments`, in model space (after PCA when present). */
  centroids: number[][]
  /** How segment ids were assigned. */
  labelOrder: { by: string; direction: 'desc'; matchedToPrevious: boolean }
  outliers: OutlierRule
  training: { seed: number; k: number; customers: number; fittedCustomers: number; kSelection: string }
  /** Sorted by id; segments[i] ↔ centroids[i] ↔ scoreFeatures().distances[i]. */
  segments: Segment[]
}

export interface ScoreResult {
  /** Segment id. */
  segment: number
  /** Euclidean distance to each centroid, in `segments` order. */
  distances: number[]
}

/** A bundle prepared for fast repeated scoring. */
export interface CompiledBundle {
  bundle: ModelBundle
  inputs: Int32Array
  modelColumns: Int32Array
  /** k x d, row-major. */
  centroids: Float64Array
  k: number
  dims: number
  /** Scratch rows. */
  buf: Float64Array
  mbuf: Float64Array
}

const compiledCache = new WeakMap<ModelBundle, CompiledBundle>()

export function compileBundle(bundle: ModelBundle): CompiledBundle {
  const cached = compiledCache.get(bundle)
  if (cached) return cached
  const k = bundle.centroids.length
  const dims = bundle.pca ? bundle.pca.nComponents : bundle.modelColumns.length
  const centroids = new Float64Array(k * dims)
  bundle.centroids.forEach((c, i) => centroids.set(c, i * dims))
  const c: CompiledBundle = {
    bundle,
    inputs: Int32Array.from(bundle.inputs),
    modelColumns: Int32Array.from(bundle.modelColumns),
    centroids,
    k,
    dims,
    buf: new Float64Array(bundle.inputs.length),
    mbuf: new Float64Array(bundle.modelColumns.length),
  }
  compiledCache.set(bundle, c)
  return c
}

/**
 * Model-space coordinates of the raw row `raw[off..off+features)` into `out[oo..oo+dims)`.
 * Throws on a missing or non-finite input.
 */
export function embedRow(c: CompiledBundle, raw: ArrayLike<number>, off: number, out: Float64Array, oo = 0): void {
  const { buf, mbuf, inputs, modelColumns } = c
  const b = c.bundle
  for (let j = 0; j < inputs.length; j++) {
    const v = raw[off + inputs[j]!]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`feature ${b.features[inputs[j]!]} is ${v}, expected a finite number`)
    buf[j] = v
  }
  applyTransformsToRow(b.transforms, buf, 0)
  for (let j = 0; j < modelColumns.length; j++) mbuf[j] = buf[modelColumns[j]!]!
  if (b.pca) projectRow(b.pca, mbuf, 0, out, oo)
  else out.set(mbuf, oo)
  for (let j = 0; j < c.dims; j++) {
    if (!Number.isFinite(out[oo + j]!)) throw new RangeError(`model coordinate ${j} is ${out[oo + j]} (invalid input for the transforms)`)
  }
}

function rawRow(b: ModelBundle, raw: Float64Array | Record<string, number>): ArrayLike<number> {
  if (raw instanceof Float64Array) {
    if (raw.length !== b.features.length) throw new RangeError(`raw feature row has ${raw.length} values, the model expects ${b.features.length} (${b.features.join(', ')})`)
    return raw
  }
  const row = new Float64Array(b.features.length).fill(NaN)
  for (const i of b.inputs) {
    const name = b.features[i]!
    const v = raw[name]
    if (typeof v !== 'number') throw new RangeError(`missing feature ${name}`)
    row[i] = v
  }
  return row
}

/** Segment and centroid distances of one customer's raw features. */
export function scoreFeatures(bundle: ModelBundle, rawFeatures: Float64Array | Record<string, number>): ScoreResult {
  const c = compileBundle(bundle)
  const x = new Float64Array(c.dims)
  embedRow(c, rawRow(bundle, rawFeatures), 0, x)
  const near = nearestCentroid(x, 0, c.centroids, c.k, c.dims)
  const distances: number[] = []
  for (let s = 0; s < c.k; s++) distances.push(Math.sqrt(sqDist(x, 0, c.centroids, s * c.dims, c.dims)))
  return { segment: bundle.segments[near.index]!.id, distances }
}

/** Score every row of a FeatureTable (by column name, so the table's column order may differ). */
export function scoreTable(bundle: ModelBundle, table: FeatureTable): { segments: Int32Array; index: Int32Array; distances: Float64Array } {
  const c = compileBundle(bundle)
  const n = table.customerIds.length
  const p = table.features.length
  const cols = bundle.features.map((f) => table.features.indexOf(f))
  for (const i of bundle.inputs) if (cols[i]! < 0) throw new RangeError(`table has no column ${bundle.features[i]}`)
  const row = new Float64Array(bundle.features.length)
  const x = new Float64Array(c.dims)
  const segments = new Int32Array(n)
  const index = new Int32Array(n)
  const distances = new Float64Array(n * c.k)
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]! >= 0 ? table.values[r * p + cols[j]!]! : NaN
    embedRow(c, row, 0, x)
    const near = nearestCentroid(x, 0, c.centroids, c.k, c.dims)
    index[r] = near.index
    segments[r] = bundle.segments[near.index]!.id
    for (let s = 0; s < c.k; s++) distances[r * c.k + s] = Math.sqrt(sqDist(x, 0, c.centroids, s * c.dims, c.dims))
  }
  return { segments, index, distances }
}

/**
 * The transformed model columns of every row, as fed to PCA (or to the distance when the model
 * has no PCA): what a PCA reconstruction error is measured on.
 */
export function modelInputRows(bundle: ModelBundle, table: FeatureTable): Matrix {
  const c = compileBundle(bundle)
  const n = table.customerIds.length
  const p = table.features.length
  const m = c.modelColumns.length
  const cols = bundle.features.map((f) => table.features.indexOf(f))
  for (const i of bundle.inputs) if (cols[i]! < 0) throw new RangeError(`table has no column ${bundle.features[i]}`)
  const row = new Float64Array(bundle.features.length)
  const x = new Float64Array(c.dims)
  const out = new Float64Array(n * m)
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]! >= 0 ? table.values[r * p + cols[j]!]! : NaN
    embedRow(c, row, 0, x)
    // embedRow leaves the pre-PCA model columns in c.mbuf.
    out.set(c.mbuf.subarray(0, m), r * m)
  }
  return { rows: n, cols: m, data: out }
}

/** A copy of the bundle with names, descriptions, profiles and top products filled in by id. */
export function annotateBundle(bundle: ModelBundle, annotations: readonly SegmentAnnotation[]): ModelBundle {
  const byId = new Map(annotations.map((a) => [a.id, a]))
  for (const a of annotations) if (!bundle.segments.some((s) => s.id === a.id)) throw new RangeError(`annotation for unknown segment ${a.id}`)
  return {
    ...bundle,
    segments: bundle.segments.map((s) => {
      const a = byId.get(s.id)
      if (!a) return s
      return {
        ...s,
        name: a.name !== undefined ? a.name : s.name,
        description: a.description !== undefined ? a.description : s.description,
        profile: a.profile !== undefined ? a.profile : s.profile,
        topProducts: a.topProducts !== undefined ? a.topProducts : s.topProducts,
      }
    }),
  }
}

function assertFinite(v: unknown, path: string): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`bundle field ${path} is ${v}; the model's numbers must be finite`)
  } else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`))
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`)
}

/**
 * JSON text of the bundle. Numbers are written in JavaScript's shortest round-trip form, so
 * parseBundle restores every double exactly. Every number the scoring uses must be finite (an
 * error otherwise); in profiles, NaN statistics of an empty group become null, as JSON has no NaN.
 */
export function serializeBundle(bundle: ModelBundle): string {
  const { segments, ...model } = bundle
  assertFinite(model, 'bundle')
  segments.forEach((s, i) => assertFinite({ id: s.id, size: s.size, share: s.share, orderValue: s.orderValue }, `segments[${i}]`))
  return JSON.stringify(bundle)
}

export class BundleFormatError extends Error {
  override name = 'BundleFormatError'
}

function fail(msg: string): never {
  throw new BundleFormatError(msg)
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isInt = (v: unknown): v is number => Number.isInteger(v)
function numArray(v: unknown, what: string, len?: number): number[] {
  if (!Array.isArray(v) || !v.every(isNum)) fail(`${what} must be an array of finite numbers`)
  if (len !== undefined && v.length !== len) fail(`${what} must have ${len} values, has ${v.length}`)
  return v
}
function intArray(v: unknown, what: string, below: number): number[] {
  if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 0 && x < below)) fail(`${what} must be integers in [0, ${below})`)
  return v as number[]
}

/** Parse and validate a serialised bundle. */
export function parseBundle(text: string): ModelBundle {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    fail(`bundle is not JSON: ${(e as Error).message}`)
  }
  if (!isObj(raw)) fail('bundle must be a JSON object')
  if (raw.formatVersion !== BUNDLE_FORMAT_VERSION) fail(`unsupported bundle formatVersion ${String(raw.formatVersion)} (expected ${BUNDLE_FORMAT_VERSION})`)
  // Bundles stored before issue 13 name the original recipe `seed`: read as `original`.
  if (typeof raw.recipe !== 'string' || !isRecipe(raw.recipe)) fail(`unknown recipe ${String(raw.recipe)}`)
  raw.recipe = recipeId(raw.recipe)
  if (!isInt(raw.recipeVersion)) fail('recipeVersion must be an integer')
  if (!isNum(raw.referenceDate)) fail('referenceDate must be a number')
  if (!Array.isArray(raw.features) || !raw.features.every((f) => typeof f === 'string')) fail('features must be strings')
  const inputs = intArray(raw.inputs, 'inputs', raw.features.length)
  if (!Array.isArray(raw.transforms)) fail('transforms must be an array')
  for (const t of raw.transforms as unknown[]) {
    if (!isObj(t)) fail('transform must be an object')
    intArray(t.columns, 'transform columns', inputs.length)
    const cols = (t.columns as number[]).length
    if (t.kind === 'standardize') {
      numArray(t.mean, 'standardize mean', cols)
      numArray(t.scale, 'standardize scale', cols)
    } else if (!['log1p', 'signedLog1p', 'l2normalize', 'passthrough'].includes(t.kind as string)) fail(`unknown transform ${String(t.kind)}`)
  }
  const modelColumns = intArray(raw.modelColumns, 'modelColumns', inputs.length)
  let dims = modelColumns.length
  if (raw.pca !== null) {
    const p = raw.pca
    if (!isObj(p)) fail('pca must be an object or null')
    numArray(p.mean, 'pca mean', modelColumns.length)
    if (!isInt(p.nComponents) || p.nComponents < 1 || p.nComponents > modelColumns.length) fail('pca nComponents invalid')
    if (!Array.isArray(p.components) || p.components.length !== p.nComponents) fail('pca components must have nComponents rows')
    for (const c of p.components as unknown[]) numArray(c, 'pca component', modelColumns.length)
    numArray(p.explainedVariance, 'pca explainedVariance')
    numArray(p.explainedVarianceRatio, 'pca explainedVarianceRatio')
    dims = p.nComponents
  }
  if (!Array.isArray(raw.centroids) || raw.centroids.length < 1) fail('centroids must be a non-empty array')
  for (const c of raw.centroids as unknown[]) numArray(c, 'centroid', dims)
  if (!Array.isArray(raw.segments) || raw.segments.length !== raw.centroids.length) fail('segments must match centroids one to one')
  const ids = new Set<number>()
  for (const s of raw.segments as unknown[]) {
    if (!isObj(s) || !isInt(s.id) || s.id < 0) fail('segment id must be a non-negative integer')
    if (ids.has(s.id)) fail(`duplicate segment id ${s.id}`)
    ids.add(s.id)
    if (!isInt(s.size) || !isNum(s.share) || !isNum(s.orderValue)) fail(`segment ${s.id}: size/share/orderValue invalid`)
    for (const f of ['name', 'description'] as const) if (s[f] !== null && typeof s[f] !== 'string') fail(`segment ${s.id}: ${f} must be a string or null`)
    if (s.profile !== null && !isObj(s.profile)) fail(`segment ${s.id}: profile must be an object or null`)
    if (s.topProducts !== null && !Array.isArray(s.topProducts)) fail(`segment ${s.id}: topProducts must be an array or null`)
  }
  if (!isObj(raw.labelOrder) || !isObj(raw.outliers) || !isObj(raw.training)) fail('labelOrder, outliers and training must be objects')
  return raw as unknown as ModelBundle
}
