// Training steps 2 and 3: the transforms and the PCA embedding are fitted on the kept rows, and
// every row of the table is put in model space through the same code as scoring.
import type { FeatureTable, Matrix } from './types.ts'
import { matrix, takeCols, takeRows } from './linalg.ts'
import { fitTransforms, type TransformParams, type TransformSpec } from './transforms.ts'
import { fitPca, type PcaModel } from './pca.ts'
import { BUNDLE_FORMAT_VERSION, compileBundle, embedRow, type ModelBundle, type OutlierRule } from './bundle.ts'
import type { ModelSpec } from './model-spec.ts'
import { columnIndex } from './train-types.ts'

export interface FittedTransforms {
  params: TransformParams[]
  /** The transformed input rows the transforms were fitted on. */
  output: Matrix
  /** Indices into the transformed inputs of the modelled columns. */
  modelColumns: number[]
}

/** Transforms of the spec (columns named by input) fitted on `rows` of the raw inputs `x`. */
export function fitModelTransforms(spec: ModelSpec, x: Matrix, rows: Int32Array): FittedTransforms {
  const inputIndex = (c: string): number => {
    const i = spec.inputs.indexOf(c)
    if (i < 0) throw new RangeError(`spec column ${c} is not an input`)
    return i
  }
  const specs: TransformSpec[] = spec.transforms.map((tr) => ({ kind: tr.kind, columns: tr.columns.map(inputIndex) }))
  const fitted = fitTransforms(specs, takeRows(x, rows))
  return { params: fitted.params, output: fitted.output, modelColumns: spec.modelColumns.map(inputIndex) }
}

/** The spec's PCA on the modelled columns of the fitted rows, or null without PCA. */
export function fitEmbedding(spec: ModelSpec, t: FittedTransforms): PcaModel | null {
  return spec.pca ? fitPca(takeCols(t.output, t.modelColumns), spec.pca) : null
}

/** A bundle with everything but the segments: enough to embed rows (centroids come later). */
export function embeddingBundle(spec: ModelSpec, table: FeatureTable, t: FittedTransforms, pca: PcaModel | null, outliers: OutlierRule, seed: number): ModelBundle {
  return {
    formatVersion: BUNDLE_FORMAT_VERSION,
    recipe: spec.recipe,
    recipeVersion: table.recipeVersion,
    referenceDate: table.referenceDate,
    features: [...table.features],
    inputs: spec.inputs.map((c) => columnIndex(table, c)),
    transforms: t.params,
    modelColumns: t.modelColumns,
    pca,
    centroids: [],
    labelOrder: { by: spec.orderBy, direction: 'desc', matchedToPrevious: false },
    outliers,
    training: { seed, k: 0, customers: table.customerIds.length, fittedCustomers: 0, kSelection: '' },
    segments: [],
  }
}

/** Every row of `table` in model space (rows x dims), embedded as scoring embeds them. */
export function embedTable(bundle: ModelBundle, table: FeatureTable): Matrix {
  const compiled = compileBundle(bundle)
  const n = table.customerIds.length
  const d = compiled.dims
  const m = matrix(n, d)
  const p = table.features.length
  for (let i = 0; i < n; i++) embedRow(compiled, table.values, i * p, m.data, i * d)
  return m
}
