// Dataset figures accumulated over the accepted rows, batch by batch, so the rows themselves
// need not be kept: counts of distinct customers, invoices and countries, and the date range.
import type { Line } from '../pipeline/types.ts'

export interface UploadSummary {
  rowsAccepted: number
  customers: number
  invoices: number
  countries: number
  /** Epoch ms (wall clock as UTC) of the earliest and latest invoice; null with no rows. */
  dateFrom: number | null
  dateTo: number | null
}

/**
 * A new key is copied before it is kept: a string cut from a parsed chunk can share that whole
 * chunk's memory in V8, and one retained key per chunk would keep the file's text alive.
 */
const own = (s: string) => (s.length >= 13 ? Buffer.from(s, 'utf8').toString('utf8') : s)

const PLAIN_NUMBER = /^[1-9]\d{0,14}$/
/**
 * A code as a set key: plain numbers (most invoice and customer ids) as numbers, which a set
 * holds without a string object each (a 10x file has 259,000 invoices). One-to-one: "007" and
 * "C536379" stay strings, and no string key can equal a number key.
 */
const key = (code: string): string | number => (PLAIN_NUMBER.test(code) ? Number(code) : own(code))

export function createSummary(): { add(rows: readonly Line[]): void; result(): UploadSummary } {
  let rowsAccepted = 0
  const customers = new Set<string | number>()
  const invoices = new Set<string | number>()
  const countries = new Set<string>()
  let dateFrom = Infinity
  let dateTo = -Infinity
  // Consecutive rows mostly repeat the previous row's invoice, customer and country; comparing
  // with it first skips most set lookups (which hash each new string).
  let customer: string | null = null
  let invoice = ''
  let country: string | null = null
  return {
    add(rows) {
      rowsAccepted += rows.length
      for (const row of rows) {
        if (row.customerId !== customer) {
          customer = row.customerId
          if (customer !== null) customers.add(key(customer))
        }
        if (row.invoiceNo !== invoice) {
          invoice = row.invoiceNo
          invoices.add(key(invoice))
        }
        if (row.country !== country) {
          country = row.country
          if (country !== null && !countries.has(country)) countries.add(own(country))
        }
        if (row.invoiceDate < dateFrom) dateFrom = row.invoiceDate
        if (row.invoiceDate > dateTo) dateTo = row.invoiceDate
      }
    },
    result() {
      return {
        rowsAccepted,
        customers: customers.size,
        invoices: invoices.size,
        countries: countries.size,
        dateFrom: rowsAccepted > 0 ? dateFrom : null,
        dateTo: rowsAccepted > 0 ? dateTo : null,
      }
    },
  }
}
