// The declarative model of each recipe: which raw columns, which transforms, how outliers are
// handled, PCA or not, how k is chosen, and which business quantity orders the segments.
import type { RecipeName } from './types.ts'
import { recipeId } from './recipe-id.ts'
import type { TransformKind } from './transforms.ts'
import type { PcaComponentRule } from './pca.ts'

export type OutlierSpec =
  /** sklearn-style isolation forest on the raw input columns. */
  | { method: 'isolationForest'; contamination: number; nEstimators: number; maxSamples: number; action: 'drop' | 'flag' }
  /** |z| > threshold in any modelled (already standardised) column. */
  | { method: 'zscore'; threshold: number; action: 'flag' }
  | { method: 'none' }

export interface KMeansSpec {
  /** A fixed k, or 'auto': chosen over kRange. */
  k: number | 'auto'
  kRange: [number, number]
  /** Reported alongside the scan, never chosen (e.g. 2: what the data argues for). */
  extraK: number[]
  nInit: number
  maxIter: number
  tol: number
  /** Bootstrap resamples of the stability check (0: none). */
  bootstraps: number
  /** k-means starts per bootstrap refit. */
  bootstrapNInit: number
  minStability: number
  minShare: number
}

export interface ModelSpec {
  recipe: RecipeName
  /** Raw FeatureTable columns the model reads, in this order. */
  inputs: string[]
  /** Applied in order; each names input columns. */
  transforms: Array<{ kind: TransformKind; columns: string[] }>
  /** Transformed columns fed to PCA / k-means, in order. */
  modelColumns: string[]
  outliers: OutlierSpec
  /**
   * With action 'flag': fit the centroids without the flagged rows (they are still assigned to
   * their nearest segment and counted in it).
   */
  fitWithoutFlagged: boolean
  pca: PcaComponentRule | null
  kmeans: KMeansSpec
  /** Raw column whose per-segment mean orders the segments (descending). */
  orderBy: string
  /** Recency / frequency / monetary columns of this recipe (for the log-RFM yardstick). */
  rfm: { recency: string; frequency: string; monetary: string }
}

export const ORIGINAL_FEATURES = [
  'Days_Since_Last_Purchase',
  'Total_Transactions',
  'Total_Products_Purchased',
  'Total_Spend',
  'Average_Transaction_Value',
  'Unique_Products_Purchased',
  'Average_Days_Between_Purchases',
  'Day_Of_Week',
  'Hour',
  'Is_UK',
  'Cancellation_Frequency',
  'Cancellation_Rate',
  'Monthly_Spending_Mean',
  'Monthly_Spending_Std',
  'Spending_Trend',
] as const

/** Columns the original's StandardScaler scaled (checked against seed_scaler_output_4067.csv). */
export const ORIGINAL_SCALED = [
  'Days_Since_Last_Purchase',
  'Total_Transactions',
  'Total_Spend',
  'Average_Transaction_Value',
  'Unique_Products_Purchased',
  'Cancellation_Rate',
  'Monthly_Spending_Mean',
  'Monthly_Spending_Std',
  'Spending_Trend',
]
export const ORIGINAL_NORMALIZED = ['Total_Products_Purchased', 'Average_Days_Between_Purchases', 'Cancellation_Frequency']
export const ORIGINAL_RAW = ['Day_Of_Week', 'Hour', 'Is_UK']

/** The original's model, reproduced. */
export const ORIGINAL_SPEC: ModelSpec = {
  recipe: 'original',
  inputs: [...ORIGINAL_FEATURES],
  transforms: [
    { kind: 'standardize', columns: ORIGINAL_SCALED },
    { kind: 'l2normalize', columns: ORIGINAL_NORMALIZED },
    { kind: 'passthrough', columns: ORIGINAL_RAW },
  ],
  modelColumns: [...ORIGINAL_FEATURES],
  outliers: { method: 'isolationForest', contamination: 0.05, nEstimators: 100, maxSamples: 256, action: 'drop' },
  fitWithoutFlagged: true,
  pca: { rule: 'cumulative-plus-one', threshold: 0.8 },
  kmeans: { k: 3, kRange: [3, 3], extraK: [], nInit: 10, maxIter: 100, tol: 1e-4, bootstraps: 10, bootstrapNInit: 3, minStability: 0.9, minShare: 0 },
  orderBy: 'Total_Spend',
  rfm: { recency: 'Days_Since_Last_Purchase', frequency: 'Total_Transactions', monetary: 'Total_Spend' },
}

/** Ours: log-RFM, standardised, every customer segmented, k chosen by silhouette + stability. */
export const DEFAULT_SPEC: ModelSpec = {
  recipe: 'default',
  inputs: ['recency_days', 'frequency', 'monetary'],
  transforms: [
    { kind: 'log1p', columns: ['recency_days', 'frequency'] },
    { kind: 'signedLog1p', columns: ['monetary'] },
    { kind: 'standardize', columns: ['recency_days', 'frequency', 'monetary'] },
  ],
  modelColumns: ['recency_days', 'frequency', 'monetary'],
  outliers: { method: 'zscore', threshold: 3, action: 'flag' },
  // Centroids are fitted on the unflagged customers (flagged ones are then assigned like
  // everyone else): with them in the fit, a bootstrap resample now and then spends a centroid on
  // the ~30 net-negative-spend customers, and k selection flips between seeds.
  fitWithoutFlagged: true,
  pca: null,
  kmeans: { k: 'auto', kRange: [3, 8], extraK: [2], nInit: 4, maxIter: 300, tol: 1e-4, bootstraps: 10, bootstrapNInit: 1, minStability: 0.9, minShare: 0.02 },
  orderBy: 'monetary',
  rfm: { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary' },
}

/** The spec of a recipe id or alias (recipe-id.ts). */
export function modelSpecFor(recipe: string): ModelSpec {
  return recipeId(recipe) === 'original' ? ORIGINAL_SPEC : DEFAULT_SPEC
}
