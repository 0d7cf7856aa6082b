// Recipe `original` (called `seed` until issue 13; the name stays an alias, see recipe-id.ts): the
// original project's 15 features, with its column names and its numbers
// (docs/pipeline.md section 3), except that Cancellation_Rate is the intended value and customers
// with a single line item are kept (the original dropped them by an inner join).

import { argMax, type CustomerStats } from '../customer-stats.ts'
import type { FeatureSpec } from '../types.ts'
import type { Recipe } from './index.ts'

const FEATURES: readonly FeatureSpec[] = [
  { name: 'Days_Since_Last_Purchase', role: 'model', kind: 'bounded', description: 'Days from the customer\'s latest invoice day (cancellations included) to the reference date.' },
  { name: 'Total_Transactions', role: 'model', kind: 'heavy-tailed', description: 'Distinct invoice numbers, C-invoices included.' },
  { name: 'Total_Products_Purchased', role: 'model', kind: 'heavy-tailed', description: 'Sum of Quantity (net of cancellations, can be negative).' },
  { name: 'Total_Spend', role: 'model', kind: 'heavy-tailed', description: 'Sum of Quantity x UnitPrice (net, can be negative).' },
  { name: 'Average_Transaction_Value', role: 'model', kind: 'heavy-tailed', description: 'Total_Spend / Total_Transactions.' },
  { name: 'Unique_Products_Purchased', role: 'model', kind: 'heavy-tailed', description: 'Distinct StockCode, cancellations included.' },
  { name: 'Average_Days_Between_Purchases', role: 'model', kind: 'bounded', description: 'Mean day difference between consecutive line items in file order: (day(last line) - day(first line)) / (lines - 1); 0 for one line.' },
  { name: 'Day_Of_Week', role: 'model', kind: 'cyclic', period: 7, description: 'Weekday (Mon = 0 .. Sun = 6) with the most line items; ties to the smaller.' },
  { name: 'Hour', role: 'model', kind: 'cyclic', period: 24, description: 'Hour with the most line items; ties to the smaller.' },
  { name: 'Is_UK', role: 'model', kind: 'binary', description: '1 if the most frequent country (by line items) is United Kingdom.' },
  { name: 'Cancellation_Frequency', role: 'model', kind: 'heavy-tailed', description: 'Distinct C-invoices.' },
  { name: 'Cancellation_Rate', role: 'model', kind: 'bounded', description: 'Cancellation_Frequency / Total_Transactions (the value the original meant to compute).' },
  { name: 'Monthly_Spending_Mean', role: 'model', kind: 'heavy-tailed', description: 'Mean of the net spend of each active (year, month).' },
  { name: 'Monthly_Spending_Std', role: 'model', kind: 'heavy-tailed', description: 'Sample standard deviation (n - 1) of those monthly sums; 0 for one month.' },
  { name: 'Spending_Trend', role: 'model', kind: 'heavy-tailed', description: 'Least-squares slope of the monthly sums (ascending months) against 0..n-1; 0 for one month.' },
]

const RECENCY = 0

function write(s: CustomerStats, out: Float64Array, o: number): void {
  const spend = s.netSpend + s.netSpendComp
  out[o + RECENCY] = s.maxDay // resolved to days before the reference date
  out[o + 1] = s.invoices
  out[o + 2] = s.netQuantity
  out[o + 3] = spend
  out[o + 4] = spend / s.invoices
  out[o + 5] = s.uniqueProducts
  out[o + 6] = s.lines > 1 ? (s.lastRowDay - s.firstRowDay) / (s.lines - 1) : 0
  out[o + 7] = argMax(s.rowWeekdays)
  out[o + 8] = argMax(s.rowHours)
  out[o + 9] = s.mainCountry === 'United Kingdom' ? 1 : 0
  out[o + 10] = s.cancelInvoices
  out[o + 11] = s.cancelInvoices / s.invoices

  // Monthly sums, as pandas groupby(...).agg(['mean', 'std']) and scipy.stats.linregress do.
  const y = s.monthlySpend()
  const n = y.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += y[i]!
  const mean = sum / n
  let ss = 0
  let sxy = 0
  let sxx = 0
  const xm = (n - 1) / 2
  for (let i = 0; i < n; i++) {
    const dy = y[i]! - mean
    const dx = i - xm
    ss += dy * dy
    sxy += dx * dy
    sxx += dx * dx
  }
  out[o + 12] = mean
  out[o + 13] = n > 1 ? Math.sqrt(ss / (n - 1)) : 0
  out[o + 14] = n > 1 ? sxy / sxx : 0
}

function resolve(out: Float64Array, o: number, referenceDay: number): void {
  out[o + RECENCY] = referenceDay - out[o + RECENCY]!
}

export const originalRecipe: Recipe = {
  name: 'original',
  version: 1,
  features: FEATURES,
  featureNames: FEATURES.map((f) => f.name),
  write,
  resolve,
}
