// The original project's six cleaning rules (docs/pipeline.md section 2), in its order, as a
// streaming filter with per-rule accounting.
//
// The original works on the whole table: drop missing ids/descriptions, then drop duplicates on
// (InvoiceNo, StockCode, Description, CustomerID, Quantity) keeping the first, then the row
// filters. Because CustomerID is part of the duplicate key, and rule 1 removes all rows of a key
// or none, "a row is a duplicate" only depends on earlier rows of the same customer: with the
// input grouped by customer (file order within a customer) a per-customer key set gives exactly
// the global result in flat memory. Rules 3-6 look at one row only. So each row is removed by the
// first rule it fails, and the counts per rule equal the original's sequential counts.

import type { CleaningReport, CleaningStep, Transaction } from './types.ts'

/** A row that survived cleaning. */
export interface CleanTransaction extends Transaction {
  customerId: string
  /** Upper-cased. */
  description: string
  /** Rule 3: the invoice number starts with "C". */
  cancelled: boolean
}

export const CLEANING_RULES: readonly { rule: string; description: string }[] = [
  { rule: 'missing-id-or-description', description: 'Drop rows with no CustomerID or no Description.' },
  {
    rule: 'duplicate-line',
    description: 'Drop duplicates on (InvoiceNo, StockCode, Description, CustomerID, Quantity), keeping the first.',
  },
  { rule: 'mark-cancellations', description: 'Mark cancellations (InvoiceNo starting with "C"); removes nothing.' },
  {
    rule: 'anomalous-stock-code',
    description: 'Drop stock codes with 0 or 1 digit characters (POST, D, M, C2, DOT, BANK CHARGES, ...).',
  },
  {
    rule: 'excluded-description',
    description: 'Drop descriptions equal to "Next Day Carriage" or "High Resolution Image", then upper-case descriptions.',
  },
  { rule: 'non-positive-price', description: 'Keep UnitPrice > 0.' },
]

/** Value of `StreamingCleaner.check` for a row that survives every rule. */
export const KEPT = -1

const RULE_COUNT = 6
const NEXT_DAY_CARRIAGE = 'Next Day Carriage'
const HIGH_RESOLUTION_IMAGE = 'High Resolution Image'

/** Rule 5: exact, case-sensitive match on the raw description (lengths first: no hashing). */
export function isExcludedDescription(description: string): boolean {
  const n = description.length
  return (
    (n === NEXT_DAY_CARRIAGE.length && description === NEXT_DAY_CARRIAGE) ||
    (n === HIGH_RESOLUTION_IMAGE.length && description === HIGH_RESOLUTION_IMAGE)
  )
}

/** Rule 3. */
export function isCancellation(invoiceNo: string): boolean {
  return invoiceNo.charCodeAt(0) === 67 // 'C'
}

/** Rule 4: fewer than two ASCII digits in the code. */
export function isAnomalousStockCode(stockCode: string): boolean {
  let digits = 0
  for (let i = 0; i < stockCode.length; i++) {
    const c = stockCode.charCodeAt(i)
    if (c >= 48 && c <= 57 && ++digits >= 2) return false
  }
  return true
}

/**
 * Stock code -> product index (first-seen order), with rule 4 evaluated once per code. Shared by
 * the cleaner and the feature pass so that a row's code is looked up once.
 */
export class StockCodeIndex {
  readonly codes: string[] = []
  private readonly index = new Map<string, number>()
  private anomalous = new Uint8Array(1024)

  get size(): number {
    return this.codes.length
  }

  indexOf(stockCode: string): number {
    const p = this.index.get(stockCode)
    return p === undefined ? this.add(stockCode) : p
  }

  isAnomalous(product: number): boolean {
    return this.anomalous[product] === 1
  }

  private add(stockCode: string): number {
    const p = this.codes.length
    this.index.set(stockCode, p)
    this.codes.push(stockCode)
    if (p === this.anomalous.length) {
      const next = new Uint8Array(p * 2)
      next.set(this.anomalous)
      this.anomalous = next
    }
    this.anomalous[p] = isAnomalousStockCode(stockCode) ? 1 : 0
    return p
  }
}

/** Invoices per bucket key of the duplicate table (see isDuplicate). */
const INVOICE_BUCKETS = 1024

/**
 * Push raw rows one at a time; each is kept or removed by the first rule it fails.
 *
 * Input contract: all rows of a customer are consecutive (rows with a null customer id may appear
 * anywhere). A customer id that reappears after another customer's rows throws, since the
 * per-customer duplicate set would then miss duplicates.
 */
export class StreamingCleaner {
  // Context of the last checked row, for the feature pass (valid when the row was KEPT):
  /** Counts customers: changes exactly when a new customer's rows start. */
  customerSerial = 0
  /** Index of the row's stock code in `stockCodes`. */
  lastProduct = -1
  /** The row's invoice, numbered 0, 1, ... per customer in order of first appearance. */
  lastInvoiceSerial = 0
  private rowsIn = 0
  private readonly removed = new Float64Array(RULE_COUNT)
  private readonly customersAfter = new Float64Array(RULE_COUNT)
  private current: string | null = null
  /** Number of leading rules passed by the best row of the current customer (0..6). */
  private currentStage = 0
  private readonly finished = new Set<string>()
  private closed = false

  // Rule 2, per customer, without building key strings: invoices get a serial number, and
  // (serial, product) hashes to a small-integer bucket key whose chain of entries holds
  // (serial, description, quantity) of the rows seen.
  private readonly invoiceSerials = new Map<string, number>()
  private lastInvoice: string | null = null
  private readonly buckets = new Map<number, number>()
  private entries = 0
  private readonly entryDescription: string[] = []
  private entrySerial = new Int32Array(1024)
  private entryQuantity = new Float64Array(1024)
  private entryNext = new Int32Array(1024)

  readonly stockCodes: StockCodeIndex
  constructor(stockCodes: StockCodeIndex = new StockCodeIndex()) {
    this.stockCodes = stockCodes
  }

  /**
   * Applies the rules to one raw row and records the outcome. Returns the index (0..5) of the rule
   * that removed the row, or KEPT. Allocates nothing per row.
   */
  check(tx: Transaction): number {
    if (this.closed) throw new Error('StreamingCleaner: check() after report()')
    this.rowsIn++
    const id = tx.customerId
    if (id !== null && id !== '' && id !== this.current) this.switchCustomer(id)
    const failed = this.firstFailedRule(tx)
    const stage = failed === KEPT ? RULE_COUNT : failed
    if (failed !== KEPT) this.removed[failed]!++
    if (stage > this.currentStage) this.currentStage = stage
    return failed
  }

  /**
   * Counts `n` rows without a customer id that were never pushed: rule 1 removes them whatever
   * they hold, so a reader may leave them in the database (datasets/read.ts) and report their number.
   */
  skipGuests(n: number): void {
    if (this.closed) throw new Error('StreamingCleaner: skipGuests() after report()')
    this.rowsIn += n
    this.removed[0]! += n
  }

  /** Like `check`, returning the cleaned row (new object, description upper-cased) or null. */
  push(tx: Transaction): CleanTransaction | null {
    if (this.check(tx) !== KEPT) return null
    return {
      ...tx,
      customerId: tx.customerId as string,
      description: (tx.description as string).toUpperCase(),
      cancelled: isCancellation(tx.invoiceNo),
    }
  }

  /** Ends the stream (idempotent) and returns the per-rule counts. */
  report(): CleaningReport {
    if (!this.closed) {
      this.endCustomer()
      this.closed = true
    }
    const steps: CleaningStep[] = []
    let rows = this.rowsIn
    for (let r = 0; r < RULE_COUNT; r++) {
      rows -= this.removed[r]!
      const { rule, description } = CLEANING_RULES[r]!
      steps.push({ rule, description, rowsRemoved: this.removed[r]!, rowsAfter: rows, customersAfter: this.customersAfter[r]! })
    }
    return { rowsIn: this.rowsIn, steps, rowsOut: rows, customers: this.customersAfter[RULE_COUNT - 1]! }
  }

  private firstFailedRule(tx: Transaction): number {
    const id = tx.customerId
    const description = tx.description
    // 1. pandas reads an empty field as NaN, so '' counts as missing too.
    if (id === null || id === '' || description === null || description === '') return 0
    // 2. The customer id is implied by the per-customer state.
    const product = this.stockCodes.indexOf(tx.stockCode)
    this.lastProduct = product
    if (this.isDuplicate(tx.invoiceNo, product, description, tx.quantity)) return 1
    // 3. Marks only (see isCancellation).
    // 4.
    if (this.stockCodes.isAnomalous(product)) return 3
    // 5.
    if (isExcludedDescription(description)) return 4
    // 6. Also removes NaN prices.
    if (!(tx.unitPrice > 0)) return 5
    return KEPT
  }

  /** Rule 2: was (invoice, product, description, quantity) seen for this customer; records it if not. */
  private isDuplicate(invoiceNo: string, product: number, description: string, quantity: number): boolean {
    let serial = this.lastInvoiceSerial
    if (invoiceNo !== this.lastInvoice) {
      const known = this.invoiceSerials.get(invoiceNo)
      if (known === undefined) {
        serial = this.invoiceSerials.size
        this.invoiceSerials.set(invoiceNo, serial)
      } else serial = known
      this.lastInvoice = invoiceNo
      this.lastInvoiceSerial = serial
    }
    const key = product * INVOICE_BUCKETS + (serial % INVOICE_BUCKETS)
    const head = this.buckets.get(key) ?? -1
    for (let e = head; e >= 0; e = this.entryNext[e]!) {
      if (this.entrySerial[e] !== serial || this.entryDescription[e] !== description) continue
      const q = this.entryQuantity[e]!
      // pandas compares NaN equal to NaN in drop_duplicates.
      if (q === quantity || (q !== q && quantity !== quantity)) return true
    }
    const e = this.entries++
    if (e === this.entryNext.length) this.growEntries()
    this.entryDescription[e] = description
    this.entrySerial[e] = serial
    this.entryQuantity[e] = quantity
    this.entryNext[e] = head
    this.buckets.set(key, e)
    return false
  }

  private growEntries(): void {
    const size = this.entryNext.length * 2
    const next = new Int32Array(size)
    next.set(this.entryNext)
    this.entryNext = next
    const serials = new Int32Array(size)
    serials.set(this.entrySerial)
    this.entrySerial = serials
    const quantities = new Float64Array(size)
    quantities.set(this.entryQuantity)
    this.entryQuantity = quantities
  }

  private switchCustomer(id: string): void {
    this.endCustomer()
    if (this.finished.has(id)) {
      throw new Error(
        `StreamingCleaner: rows of customer ${id} are not consecutive; input must be grouped by customer (customer, then file line)`,
      )
    }
    this.current = id
    this.customerSerial++
  }

  private endCustomer(): void {
    if (this.current === null) return
    for (let r = 0; r < this.currentStage; r++) this.customersAfter[r]!++
    this.finished.add(this.current)
    this.current = null
    this.currentStage = 0
    this.invoiceSerials.clear()
    this.lastInvoice = null
    this.buckets.clear()
    this.entries = 0
    this.entryDescription.length = 0
  }
}
