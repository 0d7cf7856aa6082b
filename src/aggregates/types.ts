// The per-customer aggregate layer's data (docs/decisions.md, "Mergeable customer aggregates").
//
// One dataset's aggregate holds, per customer, one partial per calendar day the customer has rows
// on. A day partial carries everything the recipes, the value model and the baskets read about the
// customer's cleaned rows of that day, plus the cleaning counts of its raw rows, so that any set of
// datasets can be merged and restricted to days in [from, asOf] without reading rows again.
//
// Order: "file order" is the order rows were pushed to the builder; every row gets a sequence
// number `seq` (0, 1, ... per dataset, guests included). Across datasets the order is (dataset
// rank in the training's list, seq), which is the database order (dataset, line).

/** Dictionaries of one dataset, shared by its customers' partials. */
export interface AggregateDictionary {
  /** Stock codes of rows that reached rule 5 (passed rules 1, 2 and 4). */
  stockCodes: string[]
  /** Per stock code, the distinct upper-cased descriptions of its cleaned rows. */
  variants: string[][]
  countries: string[]
}

/** What one customer's raw rows of one day contributed. */
export interface DayPartial {
  /** Calendar day number (calendar.ts). */
  day: number
  /** Cleaned rows (line items), cancellations included, and those of them that are purchases. */
  lines: number
  purchaseLines: number
  /** seq of the first and the last cleaned row of the day (-1 when lines = 0). */
  firstSeq: number
  lastSeq: number
  /** Σ Quantity over cleaned rows. */
  quantity: number
  /** Σ Quantity x UnitPrice over cleaned rows (compensated, rounded once), and over purchase rows. */
  netSpend: number
  purchaseSpend: number
  /**
   * Σ Quantity x UnitPrice over purchase rows added in file order without compensation, as
   * buildFeatures' purchase days add them (value/purchase-days.ts); only when it differs from
   * purchaseSpend.
   */
  purchaseValue?: number
  /** Pairs [hour, cleaned rows]. */
  hours: number[]
  /** Pairs [country (dictionary index), cleaned rows]; rows without a country are not counted. */
  countries: number[]
  /**
   * Triples [invoice (index into the customer's `invoices`), seq, hour] of the first cleaned row of
   * each invoice on this day.
   */
  invoices: number[]
  /**
   * Quads [product (dictionary index), flags, seq, cleaned rows] for each product with a row that
   * reached rule 5 on this day; flags: 1 = has cleaned rows, 2 = has purchase (non-cancelled)
   * cleaned rows; seq: the first such row (it fixes the product numbering of the baskets).
   */
  products: number[]
  /**
   * Triples [product, variant (index into dictionary.variants[product]), cleaned rows], only for
   * products with more than one variant in the dataset; otherwise the product's cleaned rows all
   * carry its single variant.
   */
  variants: number[]
  /**
   * Raw rows removed per cleaning rule index 0..5 (index 2, marking, stays 0). Read-only: days
   * without removals share NO_REMOVALS.
   */
  removed: readonly number[]
  /** Number of leading cleaning rules passed by the day's best row, 0..6 (6 = a cleaned row). */
  stage: number
}

export interface CustomerPartial {
  customerId: string
  /** Distinct invoice numbers of the customer's rows that passed rule 1 (not only cleaned ones). */
  invoices: string[]
  /**
   * Pairs [first day, other day] of rule-2 keys whose rows fall on more than one day: a window
   * that separates such days changes which row is "the first", so the customer is rebuilt then.
   */
  splitKeys: number[]
  /**
   * Set when an invoice of the customer reappeared after another invoice's rows in the file and
   * one of its rows may duplicate a row of the earlier block (rule 2 keeps only the current
   * block's keys exactly, dedupe.ts): the partial may count that row, so every merge rebuilds the
   * customer from its raw rows (merge.ts needsRebuild). Absent: false.
   */
  rebuild?: true
  /** Ascending by day. */
  days: DayPartial[]
  /** The row sums of the customer's spend (exact.ts), when the day sums would differ from them. */
  exact?: ExactSpend
  dictionary: AggregateDictionary
}

/** Spend sums over a customer's cleaned rows in file order, rounded once (exact.ts). */
export interface ExactSpend {
  net: number
  purchase: number
  /** Pairs [month index (calendar.ts), net spend], ascending by month. */
  months: number[]
}

/** A customer-hash range [lo, hi) over 0 .. 2^32 (hash.ts). */
export interface HashRange {
  lo: number
  hi: number
}

/** One dataset's aggregate (or the part of it in a customer-hash range). */
export interface DatasetAggregate {
  /** Rows pushed (the dataset's rows, guests included, all ranges). */
  rowsPushed: number
  range: HashRange
  /** Pairs [day, rows] of rows without a customer id; only in the range with lo = 0. */
  guestDays: number[]
  dictionary: AggregateDictionary
  /** Ascending by customer id (JavaScript string order, = COLLATE "C" for ASCII ids). */
  customers: CustomerPartial[]
}

/** Days kept by a merge: from <= day <= asOf (either bound optional). Day numbers (calendar.ts). */
export interface DayWindow {
  asOf?: number
  from?: number
}

/** The `removed` of every day without removed rows (shared, frozen). */
export const NO_REMOVALS: readonly number[] = Object.freeze([0, 0, 0, 0, 0, 0])

export const FULL_RANGE: HashRange = { lo: 0, hi: 2 ** 32 }
