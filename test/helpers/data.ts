// The real data the tests read, committed under test/fixtures/ (UCI Online Retail, CC BY 4.0; see
// test/fixtures/README.md), so every clone runs the full-data tests.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'

const FIXTURES = resolve(import.meta.dirname, '../fixtures')

/** The complete UCI Online Retail file: 541,909 rows, 4,372 customers. */
export const FULL_DATA = resolve(FIXTURES, 'online_retail.csv.gz')
/** Every row of the full file whose CustomerID ends in 0: 36,378 rows, 445 customers. */
export const SAMPLE_DATA = resolve(FIXTURES, 'online_retail_sample_445.csv.gz')
/** The original project's tables from the full data (docs/pipeline.md). */
export const REFERENCE = {
  features4282: resolve(FIXTURES, 'reference/seed_customer_features_4282.csv'),
  features445: resolve(FIXTURES, 'reference/seed_customer_features_445.csv'),
  rfm4362: resolve(FIXTURES, 'reference/seed_customer_rfm_4362.csv'),
  scaler4067: resolve(FIXTURES, 'reference/seed_scaler_output_4067.csv'),
  pca4067: resolve(FIXTURES, 'reference/seed_pca_output_4067.csv'),
}

/** The CDNOW customer summary (test/fixtures/cdnow): x, t_x, T in weeks, mean repeat value. */
export function cdnowSummary(): { x: number; tx: number; T: number; zbar: number }[] {
  const text = readFileSync(resolve(FIXTURES, 'cdnow/cdnow_customers_summary.csv'), 'utf8')
  return text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => {
      const [, x, tx, T, zbar] = l.split(',').map(Number)
      return { x: x!, tx: tx!, T: T!, zbar: zbar! }
    })
}

/**
 * The sample with every UnitPrice multiplied by `factor` (rounded to 3 decimals): the same
 * customers and days, shifted spend, so a drift check against a model of the sample finds drift.
 */
export function repricedSample(factor: number): Buffer {
  const lines = gunzipSync(readFileSync(SAMPLE_DATA)).toString('utf8').split('\n')
  return Buffer.from(lines.map((line, i) => {
    if (i === 0 || line === '') return line
    const last = line.lastIndexOf(',')
    const prev = line.lastIndexOf(',', last - 1)
    const pricePos = line.lastIndexOf(',', prev - 1)
    const price = Number(line.slice(pricePos + 1, prev))
    return `${line.slice(0, pricePos + 1)}${Math.round(price * factor * 1000) / 1000}${line.slice(prev)}`
  }).join('\n'))
}

/**
 * The full file's lines in three CSV parts cut at 2011-04-01 and 2011-08-15, each part also
 * holding the week after its cut: those rows are in two parts, and cleaning rule 2 must remove
 * them across datasets. Used by test/aggregates-training.test.ts and bench/train.ts.
 */
export function overlappingParts(file = FULL_DATA): Buffer[] {
  const [header, ...lines] = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l !== '')
  const parts: string[][] = [[header!], [header!], [header!]]
  for (const l of lines) {
    const d = /,(\d{4}-\d\d-\d\d) /.exec(l)?.[1] ?? ''
    if (d < '2011-04-08') parts[0]!.push(l)
    if (d >= '2011-04-01' && d < '2011-08-22') parts[1]!.push(l)
    if (d >= '2011-08-15') parts[2]!.push(l)
  }
  return parts.map((p) => Buffer.from(`${p.join('\n')}\n`))
}
