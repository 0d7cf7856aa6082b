// Larger transaction files made from a real one: copy c of every row gets its customer id and
// invoice number offset by c x 1,000,000, so each copy adds new customers and invoices with the
// same shape as the original. Streams line by line, so a 10x file never sits in memory.
// Relies on the UCI layout: InvoiceNo is the first field and CustomerID the second to last,
// neither quoted (Country, the last field, has no commas in this data).
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'

const OFFSET = 1_000_000

function shift(code: string, copy: number): string {
  if (copy === 0 || code === '') return code
  const m = /^([A-Za-z]*)(\d+)$/.exec(code)
  return m ? `${m[1]}${Number(m[2]) + copy * OFFSET}` : `${code}-${copy}`
}

export function shiftLine(line: string, copy: number): string {
  const first = line.indexOf(',')
  const last = line.lastIndexOf(',')
  const prev = line.lastIndexOf(',', last - 1)
  return `${shift(line.slice(0, first), copy)}${line.slice(first, prev + 1)}${shift(line.slice(prev + 1, last), copy)}${line.slice(last)}`
}

/**
 * Writes `copies` shifted copies of the gzipped CSV `source` to `target` (gzipped), copies
 * `first` .. `first + copies - 1` (so files made from different `first`s share no customer);
 * returns data rows.
 */
export async function writeScaled(source: string, target: string, copies: number, first = 0): Promise<number> {
  let rows = 0
  const out = createGzip({ level: 1 })
  const done = pipeline(out, createWriteStream(target))
  for (let copy = first; copy < first + copies; copy++) {
    let header = true
    let buf = ''
    for await (const line of createInterface({ input: createReadStream(source).pipe(createGunzip()), crlfDelay: Infinity })) {
      if (header) {
        header = false
        if (copy === first) buf += `${line}\n`
        continue
      }
      if (line === '') continue
      buf += `${shiftLine(line, copy)}\n`
      rows++
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await once(out, 'drain')
        buf = ''
      }
    }
    if (buf) out.write(buf)
  }
  out.end()
  await done
  return rows
}
