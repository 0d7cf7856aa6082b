// The summary library's input straight from a file's rows, without the feature pass: each
// customer's cleaned lines (StreamingCleaner) as SummaryLines, in row order. The independent
// reading that the value tests (and scripts/value-holdout-uci.ts) compare the service with.
import { dayOf } from '../../src/pipeline/calendar.ts'
import { StreamingCleaner } from '../../src/pipeline/clean.ts'
import type { Transaction } from '../../src/pipeline/types.ts'
import type { SummaryLine } from '../../src/value/summary.ts'

/** Customer id → its cleaned lines (rows in customer order, as the cleaner needs them). */
export function cleanedLinesByCustomer(rows: Iterable<Transaction>): Map<string, SummaryLine[]> {
  const cleaner = new StreamingCleaner()
  const lines = new Map<string, SummaryLine[]>()
  for (const r of rows) {
    const c = cleaner.push(r)
    if (c === null) continue
    let l = lines.get(c.customerId)
    if (!l) lines.set(c.customerId, (l = []))
    l.push({ day: dayOf(c.invoiceDate), quantity: c.quantity, price: c.unitPrice, cancelled: c.cancelled })
  }
  return lines
}
