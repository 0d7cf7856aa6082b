// The upload thread gives exactly what the reader gives in the main thread: the same COPY bytes,
// the same totals, the same problems; concurrent uploads do not mix; a failed upload leaves its
// source alone; closing ends a running upload.
import { readFileSync } from 'node:fs'
import { PassThrough, Readable } from 'node:stream'
import tap from 'tap'
import { encodeUpload, type EncodedUpload } from '../src/datasets/encode.ts'
import { decodeAggregate } from '../src/aggregates/index.ts'
import { UploadThreads } from '../src/datasets/encode-thread.ts'
import { HttpProblem } from '../src/errors.ts'
import { readUpload } from '../src/ingest/upload.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
const LIMITS = { maxBytes: 2 ** 30, maxInflatedBytes: 2 ** 31 }
const ID = '00000000-0000-4000-8000-000000000001'

/** The source in chunks of `size` bytes. */
const chunks = (body: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size)))

async function drain(encoded: EncodedUpload): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of encoded.csv) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))
  return Buffer.concat(parts)
}

async function failure(encoded: EncodedUpload): Promise<HttpProblem> {
  try {
    await drain(encoded)
  } catch (err) {
    if (err instanceof HttpProblem) return err
    throw err
  }
  throw new Error('expected a problem')
}

tap.test('upload threads', async (t) => {
  const threads = new UploadThreads()
  t.teardown(() => threads.close())
  const inProcess = encodeUpload(readUpload(Readable.from([SAMPLE]), LIMITS), ID)
  const expected = await drain(inProcess)

  t.test('the same bytes and totals as in the main thread, whatever the chunking', async (t) => {
    for (const size of [SAMPLE.length, 65_536, 1_000, 7]) {
      const encoded = threads.encode(chunks(SAMPLE, size), LIMITS, ID)
      const csv = await drain(encoded)
      t.ok(csv.equals(expected), `chunks of ${size} bytes: identical COPY CSV (${csv.length} bytes)`)
      const { aggregates, ...totals } = encoded.totals()
      t.same(totals, inProcess.totals(), `chunks of ${size} bytes: identical totals`)
      // The thread's own pass built the aggregates: the sample's 445 customers, 36,378 rows.
      const agg = decodeAggregate(aggregates!)
      t.same([agg.customers.length, agg.rowsPushed], [445, 36_378], `chunks of ${size} bytes: the aggregates of every row`)
    }
    t.match(inProcess.totals(), { upload: { format: 'csv.gz', rows: { read: 36_378, accepted: 36_378, rejected: 0 } }, summary: { customers: 445, invoices: 2_011 } })
  })

  t.test('concurrent uploads do not mix', async (t) => {
    // One bad row of two: over the default 1 %, so the threshold is lifted to see it pass through.
    const other = Buffer.from('InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,A,X,2,2011-01-01 10:00,1.5,7,UK\nbad\n')
    const [a, b] = [threads.encode(chunks(SAMPLE, 4_096), LIMITS, ID), threads.encode(Readable.from([other]), { ...LIMITS, reading: { maxRejectedShare: 1 } }, ID)]
    const [csvA, csvB] = await Promise.all([drain(a), drain(b)])
    t.ok(csvA.equals(expected), 'the sample, whole')
    t.equal(csvB.toString(), `${ID},2,"1","A","X",2,2011-01-01 10:00:00,1.5,"7","UK"\n`)
    t.same(b.totals().rejections, [{ line: 3, reason: b.totals().rejections[0]!.reason }], 'its rejection, not the sample\'s')
  })

  t.test('a problem is the reader\'s problem, and the source is left alone', async (t) => {
    // Binary, and more than the 4 KiB looked at to tell: refused while the body is still open.
    const junk = Buffer.alloc(20_000, 0)
    const source = new PassThrough()
    source.write(junk)
    const p = await failure(threads.encode(source, { ...LIMITS, contentType: 'text/csv' }, ID))
    const direct = await failure(encodeUpload(readUpload(Readable.from([junk]), { ...LIMITS, contentType: 'text/csv' }), ID))
    t.equal(p.status, 415)
    t.match(p, { status: direct.status, title: direct.title, detail: direct.detail })
    t.notOk(source.destroyed, 'not destroyed: the route answers, then closes the connection')
    const truncated = await failure(threads.encode(Readable.from([SAMPLE.subarray(0, SAMPLE.length >> 1)]), LIMITS, ID))
    t.match(truncated, { status: 422, detail: /gzip/ })
    t.ok((await drain(threads.encode(Readable.from([SAMPLE]), LIMITS, ID))).equals(expected), 'the next upload after failures is whole')
  })

  t.test('a body that fails mid-way fails the upload', async (t) => {
    const source = new PassThrough()
    source.write(SAMPLE.subarray(0, 10_000))
    const encoded = threads.encode(source, LIMITS, ID)
    setTimeout(() => source.destroy(new Error('client went away')), 50)
    await t.rejects(drain(encoded), /client went away/)
  })

  t.test('closing ends a running upload', async (t) => {
    const own = new UploadThreads()
    const source = new PassThrough()
    source.write(SAMPLE.subarray(0, 10_000))
    const encoded = own.encode(source, LIMITS, ID)
    const result = drain(encoded)
    await new Promise((r) => setTimeout(r, 300))
    await own.close()
    await t.rejects(result, /exited|closed/)
    t.throws(() => own.encode(Readable.from([SAMPLE]), LIMITS, ID), /closed/)
  })
})
