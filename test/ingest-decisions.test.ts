// Property tests (fast-check) of the per-file reading decisions (src/ingest/reading.ts) and of
// quote recovery (src/ingest/csv.ts), at the reader: whatever the dates, the slash order is
// decided from the values or the file refused, and the rows the store swaps are exactly the ones
// read before the decision; a broken quote in any one record never costs its neighbours.
import { Readable } from 'node:stream'
import fc from 'fast-check'
import tap from 'tap'
import { HttpProblem } from '../src/errors.ts'
import type { Line } from '../src/pipeline/types.ts'
import type { ReadingOptions } from '../src/ingest/reading.ts'
import { readUpload, type ReadingResult, type Rejection } from '../src/ingest/upload.ts'

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'
const LIMITS = { maxBytes: 2 ** 30, maxInflatedBytes: 2 ** 30 }

interface Read {
  rows: Line[]
  rejections: Rejection[]
  reading: ReadingResult
  read: number
}

async function read(text: string, reading: ReadingOptions = {}, chunk = 1 << 16): Promise<Read | HttpProblem> {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk))
  const reader = readUpload(Readable.from(chunks), { ...LIMITS, contentType: 'text/csv', reading })
  const out: Read = { rows: [], rejections: [], reading: undefined as never, read: 0 }
  try {
    for await (const b of reader.batches) {
      for (const r of b.rows) out.rows.push(r)
      for (const r of b.rejections) out.rejections.push(r)
    }
  } catch (err) {
    if (err instanceof HttpProblem) return err
    throw err
  }
  out.reading = reader.reading()
  out.read = reader.result().rows.read
  return out
}

const p2 = (n: number) => String(n).padStart(2, '0')
const dateArb = fc.record({ y: fc.integer({ min: 2009, max: 2012 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }) })
type D = { y: number; m: number; d: number; h: number; mi: number }
const utc = (x: D) => Date.UTC(x.y, x.m - 1, x.d, x.h, x.mi)

tap.test('property: the slash order is decided from the values, or the file is refused', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(dateArb, { minLength: 1, maxLength: 60 }), fc.constantFrom('dmy', 'mdy'), fc.boolean(), fc.integer({ min: 1, max: 400 }), async (dates, order, pad, chunk) => {
      const write = (x: D) => (order === 'dmy' ? `${pad ? p2(x.d) : x.d}/${pad ? p2(x.m) : x.m}/${x.y} ${x.h}:${p2(x.mi)}` : `${x.m}/${x.d}/${x.y} ${x.h}:${p2(x.mi)}`)
      const text = [HEADER, ...dates.map((x, i) => `${i + 1},A,X,1,${write(x)},1.5,7,UK`)].join('\n')
      const deciding = dates.some((x) => x.d > 12)
      const r = await read(text, {}, chunk)
      const truth = dates.map(utc)
      // No value decides (every day <= 12): refused however few rows, the override named.
      if (!deciding) {
        if (!(r instanceof HttpProblem)) return false
        return r.status === 422 && r.title === 'Date format undecided' && /\?dateFormat=DD\/MM\/YYYY HH:mm/.test(r.detail)
      }
      if (r instanceof HttpProblem) return false
      // What the store does: swap day and month of the rows in the runs.
      const inRun = (line: number) => r.reading.swap.some((run) => run.sheet === 0 && line >= run.from && line <= run.to)
      const stored = r.rows.map((row) => {
        if (!inRun(row.line)) return row.invoiceDate
        const dt = new Date(row.invoiceDate)
        return Date.UTC(dt.getUTCFullYear(), dt.getUTCDate() - 1, dt.getUTCMonth() + 1, dt.getUTCHours(), dt.getUTCMinutes())
      })
      const expected = truth
      if (r.rows.length !== dates.length || stored.some((v, i) => v !== expected[i])) return false
      if (r.reading.dateFormat !== (order === 'dmy' ? 'DD/MM/YYYY HH:mm' : 'MM/DD/YYYY HH:mm')) return false
      if (r.reading.swappedRange && (r.reading.swappedRange[0] !== Math.min(...expected) || r.reading.swappedRange[1] !== Math.max(...expected))) return false
      // The override always reads the truth.
      const forced = await read(text, { dateFormat: order === 'dmy' ? 'DD/MM/YYYY HH:mm' : 'MM/DD/YYYY HH:mm' }, chunk)
      return !(forced instanceof HttpProblem) && forced.reading.swap.length === 0 && forced.rows.every((row, i) => row.invoiceDate === truth[i])
    }),
    { numRuns: 150 },
  )
  t.pass('150 random files decided or refused correctly')
})

tap.test('date decisions: contradictions, dotted, ISO beside slash', async (t) => {
  const row = (date: string, i = 1) => `${i},A,X,1,${date},1.5,7,UK`
  const contra = await read([HEADER, row('13/01/2011 10:00'), row('01/13/2011 10:00', 2)].join('\n'))
  t.ok(contra instanceof HttpProblem && contra.status === 422 && /contradict each other/.test(contra.detail), 'contradictory slash dates: 422')
  const forced = await read([HEADER, row('13/01/2011 10:00'), row('01/13/2011 10:00', 2)].join('\n'), { dateFormat: 'DD/MM/YYYY' })
  t.ok(!(forced instanceof HttpProblem) && forced.rows.length === 1 && forced.rejections[0]?.line === 3, 'with the override, the row that does not fit is rejected')
  const dotted = await read([HEADER, row('01.12.2010 08:26'), row('13.01.2011 10:00', 2)].join('\n'))
  t.ok(!(dotted instanceof HttpProblem) && dotted.rows[0]!.invoiceDate === Date.UTC(2010, 11, 1, 8, 26) && dotted.reading.dateFormat === 'DD.MM.YYYY HH:mm', 'dotted is day first')
})

tap.test('decimal marks', async (t) => {
  const row = (price: string, i = 1) => `${i};A;X;1;2011-01-01 10:00;${price};7;UK`
  const h = HEADER.replaceAll(',', ';')
  const comma = await read([h, row('3'), row('2,55', 2), row('-0,5', 3)].join('\n'))
  t.ok(!(comma instanceof HttpProblem) && comma.rows.map((r) => r.unitPrice).join() === '3,2.55,-0.5' && comma.reading.decimal === ',', 'decimal comma read')
  const mixed = await read([h, row('2,55'), row('2.55', 2)].join('\n'))
  t.ok(mixed instanceof HttpProblem && mixed.status === 422 && mixed.title === 'Mixed decimal marks', 'mixed marks: 422')
  const forced = await read([h, row('2,55'), row('2.55', 2)].join('\n'), { decimal: ',' })
  t.ok(!(forced instanceof HttpProblem) && forced.rows.length === 1 && /decimal dot/.test(forced.rejections[0]!.reason), 'forced comma: a dot row is rejected')
})

// Records of random content: descriptions with commas, quotes and line breaks (quoted as a
// spreadsheet writes them), other fields plain.
const descArb = fc.oneof(
  fc.constantFrom('WHITE HANGING HEART', 'RECORD FRAME 7" SINGLE', 'TEA, COFFEE, SUGAR', 'TWO\nLINES', '"QUOTED"', ''),
  fc.string({ maxLength: 20 }).map((s) => s.replace(/\r/g, '')),
)
const quoteField = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)

tap.test('property: one broken quote never costs its neighbours', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(descArb, { minLength: 3, maxLength: 40 }), fc.nat(), fc.constantFrom(0, 1, 3, 6, 7), fc.boolean(), fc.integer({ min: 1, max: 300 }),
      async (descs, pick, field, crlf, chunk) => {
        const records = descs.map((d, i) => [String(536000 + i), 'A', quoteField(d.trim() === '' ? 'X' : d), String(i + 1), '2011-01-01 10:00', '1.5', '7', 'UK'])
        const broken = pick % records.length
        // A stray quote opening the field of one record, never closed.
        records[broken]![field] = `"${records[broken]![field]}`
        const eol = crlf ? '\r\n' : '\n'
        const lines = [HEADER, ...records.map((r) => r.join(','))]
        const text = lines.join(eol) + eol
        const r = await read(text, {}, chunk)
        if (r instanceof HttpProblem) return false
        const got = r.rows.map((row) => Number(row.invoiceNo))
        // A stray quote can still leave valid CSV (e.g. `"A,", ",1` reads as the fields `A,` and
        // ` "`): then the record is read as written and nothing is rejected. Either way every
        // neighbour is kept and every record is counted.
        const keptBroken = got.includes(536000 + broken)
        const wanted = records.map((_, i) => i).filter((i) => keptBroken || i !== broken).map((i) => 536000 + i)
        if (JSON.stringify(got) !== JSON.stringify(wanted)) return false
        if (r.read !== records.length) return false
        if (keptBroken) return r.rejections.length === 0
        // Otherwise the broken record is rejected on its own first line.
        let line = 2
        for (let i = 0; i < broken; i++) line += 1 + (records[i]![2]!.match(/\n/g)?.length ?? 0)
        return r.rejections.length === 1 && r.rejections[0]!.line === line
      },
    ),
    { numRuns: Number(process.env.QUOTE_RUNS ?? 300) },
  )
  t.pass('random files: only the broken record lost, if any')
})

tap.test('a stray quote that closes on the next record\'s opening quote costs its own record only', async (t) => {
  // fast-check's counterexample (seed 630857706): the quoted field spans two lines and parses,
  // but the record it makes has the wrong width.
  const text = [HEADER, '"1,A,X,1,2011-01-01 10:00,1.5,7,UK', '2,A,", ",2,2011-01-01 10:00,1.5,7,UK', '3,A,X,3,2011-01-01 10:00,1.5,7,UK'].join('\n') + '\n'
  for (const chunk of [1, 7, 1 << 16]) {
    const r = await read(text, {}, chunk)
    if (r instanceof HttpProblem) { t.fail(r.message); continue }
    t.same(r.rows.map((x) => x.invoiceNo), ['2', '3'], `chunks of ${chunk}: the neighbour is kept`)
    t.same(r.rejections.map((x) => x.line), [2])
    t.equal(r.read, 3, 'every physical record counted')
  }
})

tap.test('quoted newlines in well-formed records still work, broken quote mid-file', async (t) => {
  const text = [HEADER, '1,A,"TWO\nLINES",1,2011-01-01 10:00,1.5,7,UK', '2,A,"BROKEN,1,2011-01-01 10:00,1.5,7,UK', '3,A,"A, B",1,2011-01-01 10:00,1.5,7,UK', '4,A,PLAIN,1,2011-01-01 10:00,1.5,7,UK'].join('\n')
  const r = await read(text)
  t.ok(!(r instanceof HttpProblem))
  if (r instanceof HttpProblem) return
  t.same(r.rows.map((x) => [x.line, x.invoiceNo, x.description]), [[2, '1', 'TWO\nLINES'], [5, '3', 'A, B'], [6, '4', 'PLAIN']])
  t.same(r.rejections.map((x) => x.line), [4])
  t.equal(r.read, 4, 'every physical record counted')
})
