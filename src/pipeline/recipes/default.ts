// Recipe `default` (ours, docs/pipeline.md section 5). Purchases (non-cancelled rows) and
// cancellations (C-invoices) are kept apart; "day" is the calendar day of InvoiceDate; the
// reference date is the latest cleaned invoice day of the training data. Values are raw: the
// transforms (signed log1p, standardization, cyclic encodings) are applied downstream, guided by
// each column's `kind`. Every customer that survives cleaning gets a row, refund-only customers
// (no purchase rows) included.
//
// Columns:
//  recency_days       days from the last purchase day to the reference date; refund-only
//                     customers: from their last activity (cancellation) day.
//  frequency          distinct purchase invoices (0 for refund-only customers).
//  monetary           net spend: sum of Quantity x UnitPrice over all rows, i.e. purchases minus
//                     cancellations; may be negative.
//  avg_order_value    gross purchase spend / frequency (cancellations not deducted); 0 without
//                     purchases.
//  unique_products    distinct stock codes on purchase rows.
//  tenure_days        days from the first activity day (purchase or cancellation) to the
//                     reference date.
//  mean_gap_days      mean gap between consecutive distinct purchase days,
//                     (last - first purchase day) / (purchase_days - 1). With one purchase day
//                     (or none) there is no gap yet: the value is recency_days, the censored
//                     lower bound of the next gap, so one-off buyers sit with the slow returners
//                     rather than at 0 with the most frequent ones.
//  cancellation_rate  distinct C-invoices / distinct invoices, in [0, 1] (1 for refund-only).
//  purchase_days      distinct purchase days (profile only: nearly collinear with frequency).
//  preferred_hour     hour (0..23) with the most distinct purchase invoices, ties to the smaller;
//                     refund-only customers: over all their invoices (profile only).
//  preferred_weekday  weekday (Mon = 0 .. Sun = 6), same rule (profile only).
//  is_uk              1 if the most frequent country by rows is United Kingdom (profile only).

import { argMax, type CustomerStats } from '../customer-stats.ts'
import type { FeatureSpec } from '../types.ts'
import type { Recipe } from './index.ts'

const FEATURES: readonly FeatureSpec[] = [
  { name: 'recency_days', role: 'model', kind: 'bounded', description: 'Days from the last purchase day (refund-only customers: last activity day) to the reference date.' },
  { name: 'frequency', role: 'model', kind: 'heavy-tailed', description: 'Distinct purchase (non-cancelled) invoices; 0 for refund-only customers.' },
  { name: 'monetary', role: 'model', kind: 'heavy-tailed', description: 'Net spend: purchases minus cancellations (sum of Quantity x UnitPrice); may be negative.' },
  { name: 'avg_order_value', role: 'model', kind: 'heavy-tailed', description: 'Gross purchase spend / frequency; 0 without purchases.' },
  { name: 'unique_products', role: 'model', kind: 'heavy-tailed', description: 'Distinct stock codes bought (non-cancelled rows).' },
  { name: 'tenure_days', role: 'model', kind: 'bounded', description: 'Days from the first activity day (purchase or cancellation) to the reference date.' },
  { name: 'mean_gap_days', role: 'model', kind: 'heavy-tailed', description: 'Mean gap in days between consecutive distinct purchase days; with one purchase day or none, recency_days (the censored lower bound of the next gap).' },
  { name: 'cancellation_rate', role: 'model', kind: 'bounded', description: 'Distinct C-invoices / distinct invoices, in [0, 1].' },
  { name: 'purchase_days', role: 'profile', kind: 'heavy-tailed', description: 'Distinct days with a purchase.' },
  { name: 'preferred_hour', role: 'profile', kind: 'cyclic', period: 24, description: 'Hour with the most distinct purchase invoices (refund-only: all invoices); ties to the smaller.' },
  { name: 'preferred_weekday', role: 'profile', kind: 'cyclic', period: 7, description: 'Weekday (Mon = 0 .. Sun = 6) with the most distinct purchase invoices (refund-only: all invoices); ties to the smaller.' },
  { name: 'is_uk', role: 'profile', kind: 'binary', description: '1 if the most frequent country (by rows) is United Kingdom.' },
]

const RECENCY = 0
const TENURE = 5
const MEAN_GAP = 6

function write(s: CustomerStats, out: Float64Array, o: number): void {
  const purchases = s.purchaseInvoices
  const gross = s.purchaseSpend + s.purchaseSpendComp
  out[o + RECENCY] = purchases > 0 ? s.lastPurchaseDay : s.maxDay // resolved against the reference day
  out[o + 1] = purchases
  out[o + 2] = s.netSpend + s.netSpendComp
  out[o + 3] = purchases > 0 ? gross / purchases : 0
  out[o + 4] = s.purchasedProducts
  out[o + TENURE] = s.minDay // resolved
  // NaN marks "no gap yet": resolved to recency_days.
  out[o + MEAN_GAP] = s.purchaseDays > 1 ? (s.lastPurchaseDay - s.firstPurchaseDay) / (s.purchaseDays - 1) : Number.NaN
  out[o + 7] = s.cancelInvoices / s.invoices
  out[o + 8] = s.purchaseDays
  out[o + 9] = argMax(purchases > 0 ? s.purchaseInvoiceHours : s.invoiceHours)
  out[o + 10] = argMax(purchases > 0 ? s.purchaseInvoiceWeekdays : s.invoiceWeekdays)
  out[o + 11] = s.mainCountry === 'United Kingdom' ? 1 : 0
}

function resolve(out: Float64Array, o: number, referenceDay: number): void {
  const recency = referenceDay - out[o + RECENCY]!
  out[o + RECENCY] = recency
  out[o + TENURE] = referenceDay - out[o + TENURE]!
  if (Number.isNaN(out[o + MEAN_GAP]!)) out[o + MEAN_GAP] = recency
}

export const defaultRecipe: Recipe = {
  name: 'default',
  version: 1,
  features: FEATURES,
  featureNames: FEATURES.map((f) => f.name),
  write,
  resolve,
}
