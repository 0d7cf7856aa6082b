// Types shared by ingest, the pipeline and the service. The pipeline is pure: these are the
// shapes of the data that goes in and out of it.

/** One invoice line as read from an upload (before any cleaning). */
export interface Transaction {
  invoiceNo: string
  stockCode: string
  /** null when the file had no description. */
  description: string | null
  quantity: number
  /**
   * The invoice timestamp as written in the file, which carries no time zone. Stored as the
   * epoch milliseconds of that wall-clock time read as UTC, so calendar arithmetic is exact.
   */
  invoiceDate: number
  unitPrice: number
  /** null for guest checkouts. Always a string: "12346", never 12346.0. */
  customerId: string | null
  country: string | null
}

/** A transaction with its 1-based line in the file (the header is line 1). */
export interface Line extends Transaction {
  line: number
}

/** A feature recipe's id. The original recipe was called `seed`: recipe-id.ts accepts that alias. */
export type RecipeName = 'original' | 'default'

/** Row-major dense matrix; `data.length === rows * cols`. */
export interface Matrix {
  rows: number
  cols: number
  data: Float64Array
}

export interface CleaningStep {
  /** Stable machine name, e.g. "missing-id-or-description". */
  rule: string
  description: string
  rowsRemoved: number
  rowsAfter: number
  customersAfter: number
}

export interface CleaningReport {
  rowsIn: number
  steps: CleaningStep[]
  rowsOut: number
  customers: number
}

/** Customer features of one recipe: one row per customer, columns named by `features`. */
export interface FeatureTable {
  recipe: RecipeName
  recipeVersion: number
  features: readonly string[]
  customerIds: string[]
  /** Row-major, customerIds.length x features.length. */
  values: Float64Array
  /** Epoch ms (UTC wall clock) of the latest cleaned invoice day: "today" for recency. */
  referenceDate: number
}

// ---------------------------------------------------------------------------------------------
// Added with the feature recipes, profiles, names and recommendations.

/** What a recipe column means and how it is meant to be used downstream. */
export interface FeatureSpec {
  name: string
  /** The exact definition, one or two sentences. */
  description: string
  /** 'model': a clustering input; 'profile': reported in segment profiles, kept out of distances. */
  role: 'model' | 'profile'
  /**
   * Shape hint for transforms: 'heavy-tailed' counts and money (signed log1p is appropriate),
   * 'bounded' days and rates, 'binary' flags, 'cyclic' clock values (see `period`).
   */
  kind: 'heavy-tailed' | 'bounded' | 'binary' | 'cyclic'
  /** For 'cyclic' features: the period (24 for hours, 7 for weekdays). */
  period?: number
}

/** What each customer bought, for recommendations. Rows align with the feature tables' rows. */
export interface Baskets {
  customerIds: string[]
  /** Every stock code of the cleaned data; a product is an index into this array. */
  stockCodes: string[]
  /** Per product, its most frequent cleaned (upper-cased) description; ties to the smaller string. */
  descriptions: string[]
  /**
   * CSR layout: the distinct products customer c bought on non-cancelled lines are
   * `items[offsets[c] .. offsets[c + 1])`, in ascending product index. `offsets.length` is
   * `customerIds.length + 1`.
   */
  offsets: Int32Array
  items: Int32Array
}

/** Summary of one feature over a group of customers (quantiles: numpy's default, linear). */
export interface FeatureStats {
  mean: number
  median: number
  p25: number
  p75: number
}

export interface SegmentProfile {
  segment: number
  size: number
  /** size / number of customers in the table. */
  share: number
  profile: Record<string, FeatureStats>
}

export interface SegmentProfiles {
  features: string[]
  /** Every customer of the table (segment -1). */
  population: SegmentProfile
  /** Indexed by segment id. */
  segments: SegmentProfile[]
}

export interface SegmentName {
  segment: number
  name: string
  description: string
}

export interface Recommendation {
  stockCode: string
  description: string
}

export interface ProductRank extends Recommendation {
  /** Distinct customers of the segment who bought it (non-cancelled lines). */
  buyers: number
}
