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

export type RecipeName = 'seed' | 'default'

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
