// Upload reader throughput: reads a file through readUpload (format sniffed) and prints rows,
// seconds and peak RSS, plus the dataset summary.
//
//   node bench/ingest-parse.ts <file>                  .csv, .csv.gz or .xlsx
//   node bench/ingest-parse.ts --make-xlsx <csv.gz> <out.xlsx>
//
// --make-xlsx writes the CSV's rows to a workbook with exceljs's streaming WorkbookWriter (shared
// strings, date cells with a date format, numeric codes as numbers: what Excel would save), to
// measure the xlsx path on the full data. Put it in /tmp: it is not committed.
import { createReadStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { readUpload } from '../src/ingest/upload.ts'
import { createSummary } from '../src/ingest/summary.ts'

const GiB = 1024 ** 3

async function measure(file: string): Promise<void> {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const reader = readUpload(createReadStream(file, { highWaterMark: 256 * 1024 }), { maxBytes: 4 * GiB, maxInflatedBytes: 8 * GiB })
  const summary = createSummary()
  let rejections = 0
  let firstBatch = 0
  for await (const batch of reader.batches) {
    firstBatch ||= performance.now() - t0
    summary.add(batch.rows)
    rejections += batch.rejections.length
  }
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const result = reader.result()
  const s = summary.result()
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().slice(0, 16).replace('T', ' '))
  console.log(`${file} (${result.format}, ${(result.bytes / 2 ** 20).toFixed(1)} MiB)`)
  console.log(`rows ${result.rows.read}, accepted ${s.rowsAccepted}, rejected ${rejections}`)
  console.log(`customers ${s.customers}, invoices ${s.invoices}, countries ${s.countries}, dates ${iso(s.dateFrom)} .. ${iso(s.dateTo)}`)
  console.log(`seconds ${seconds.toFixed(2)} (first batch after ${(firstBatch / 1000).toFixed(2)}; cpu user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
  console.log(`sha256 ${result.sha256}`)
}

async function makeXlsx(csvGz: string, out: string): Promise<void> {
  const { default: ExcelJS } = await import('exceljs') // not loaded when measuring CSV
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useSharedStrings: true, useStyles: true })
  const sheet = workbook.addWorksheet('Online Retail')
  sheet.columns = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'].map((header) => ({
    header,
    key: header,
    ...(header === 'InvoiceDate' ? { style: { numFmt: 'yyyy-mm-dd hh:mm' } } : {}),
  }))
  const asNumber = (code: string) => (/^\d{1,15}$/.test(code) ? Number(code) : code)
  const reader = readUpload(createReadStream(csvGz), { maxBytes: 4 * GiB, maxInflatedBytes: 8 * GiB })
  for await (const batch of reader.batches) {
    for (const r of batch.rows) {
      sheet
        .addRow([asNumber(r.invoiceNo), asNumber(r.stockCode), r.description, r.quantity, new Date(r.invoiceDate), r.unitPrice, r.customerId === null ? null : Number(r.customerId), r.country])
        .commit()
    }
  }
  sheet.commit()
  await workbook.commit()
  console.log(`wrote ${out} (${reader.result().rows.accepted} rows)`)
}

const [first, ...rest] = process.argv.slice(2)
if (first === '--make-xlsx' && rest.length === 2) await makeXlsx(rest[0] as string, rest[1] as string)
else if (first && rest.length === 0) await measure(first)
else {
  console.error('usage: node bench/ingest-parse.ts <file> | --make-xlsx <csv.gz> <out.xlsx>')
  process.exitCode = 2
}
