// The aggregate layer's figures (docs/decisions.md, "Mergeable customer aggregates"): build time
// and peak RSS from a streamed parse, beside the bare parse and buildFeatures on sorted rows;
// encoded size; merge time for 1 and 3 datasets and for the x10 file. Each measurement runs in a
// process of its own, so its peak RSS is its own.
//   node bench/aggregates.ts            # all cases, x1 and x10
//   node bench/aggregates.ts --x1       # x1 only
import { execFileSync } from 'node:child_process'
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { AggregateBuilder, decodeAggregate, encodeAggregate, finishMerge, mergePart, type DatasetAggregate } from '../src/aggregates/index.ts'
import { dayOf } from '../src/pipeline/calendar.ts'
import { buildFeatures } from '../src/pipeline/features.ts'
import { readUpload } from '../src/ingest/upload.ts'
import type { Transaction } from '../src/pipeline/types.ts'
import { fullFile, OUT, scaledFile } from './lib/common.ts'

const peak = () => process.resourceUsage().maxRSS / 1024
const SELF = new URL(import.meta.url).pathname

async function stream(file: string, each: (rows: Transaction[]) => void): Promise<number> {
  const reader = readUpload(createReadStream(file, { highWaterMark: 256 * 1024 }), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 })
  let n = 0
  for await (const batch of reader.batches) {
    n += batch.rows.length
    each(batch.rows)
  }
  return n
}

function best(runs: number, f: () => void): number {
  let b = Infinity
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    f()
    b = Math.min(b, performance.now() - t)
  }
  return b
}

const modes: Record<string, (args: string[]) => Promise<object>> = {
  /** gunzip + parse + validate only. */
  async parse([file]) {
    const t = performance.now()
    const rows = await stream(file!, () => {})
    return { rows, ms: performance.now() - t, peakRssMiB: peak() }
  },
  /** The same parse feeding the builder, then encode; writes the bytes to `out`. */
  async build([file, out]) {
    const t = performance.now()
    const b = new AggregateBuilder()
    const rows = await stream(file!, (rs) => {
      for (let i = 0; i < rs.length; i++) b.push(rs[i]!)
    })
    const state = b.stateBytes()
    const rule2 = b.duplicateStats()
    const built = performance.now() - t
    const e = performance.now()
    const bytes = b.encode()
    const encodeMs = performance.now() - e
    writeFileSync(out!, bytes)
    const d = performance.now()
    const agg = decodeAggregate(bytes)
    const decodeMs = performance.now() - d
    const days = agg.customers.reduce((n, c) => n + c.days.length, 0)
    return {
      rows, customers: agg.customers.length, customerDays: days, ms: built, encodeMs, decodeMs, bytes: bytes.length, stateMiB: state / 2 ** 20,
      rule2MiB: rule2.bytes / 2 ** 20, rule2BloomKeys: rule2.bloomKeys, rule2Blocks: rule2.blocks, rule2Reappearances: rule2.reappearances, flagged: agg.customers.filter((c) => c.rebuild === true).length,
      bytesPerCustomer: bytes.length / agg.customers.length, bytesPerCustomerDay: bytes.length / days, peakRssMiB: peak(),
    }
  },
  /** Today's path: rows sorted by customer (in memory), buildFeatures. */
  async features([file]) {
    const { loadRetailCsvGz } = await import('../test/helpers/retail-csv.ts')
    const rows = loadRetailCsvGz(file!)
    const loaded = peak()
    const ms = best(3, () => void buildFeatures([rows]))
    return { rows: rows.length, ms, peakRssMiB: peak(), rssAfterLoadMiB: loaded }
  },
  /** Decode the stored aggregates (in order) and merge them; rebuilds read rows of `file` from memory. */
  async merge([file, ...stored]) {
    const bytes = stored.map((f) => readFileSync(f))
    let aggs: DatasetAggregate[] = []
    const decodeMs = best(3, () => void (aggs = bytes.map((b) => decodeAggregate(b))))
    let fetchRows: ((id: string) => Transaction[]) | undefined
    if (file !== '-') {
      const parts = JSON.parse(readFileSync(`${stored[0]}.parts.json`, 'utf8')) as [number, number][]
      const { parseRetailCsv } = await import('../test/helpers/retail-csv.ts')
      const rows = parseRetailCsv(gunzipSync(readFileSync(file!)).toString('utf8'))
      const byId = new Map<string, Transaction[]>()
      for (const [lo, hi] of parts) {
        for (const r of rows) {
          const d = dayOf(r.invoiceDate)
          if (d < lo || d >= hi || r.customerId === null) continue
          const l = byId.get(r.customerId)
          if (l) l.push(r)
          else byId.set(r.customerId, [r])
        }
      }
      fetchRows = (id) => byId.get(id) ?? []
    }
    let customers = 0
    let rebuilt = 0
    const mergeMs = best(3, () => {
      const part = mergePart(aggs, { fetchRows })
      rebuilt = part.rebuilt.length
      customers = finishMerge([part]).original.customerIds.length
    })
    return { datasets: stored.length, customers, rebuilt, decodeMs, mergeMs, peakRssMiB: peak() }
  },
  /** Split the file by day into parts [lo, hi) (as the overlap test), build each, write bytes. */
  async split([file, prefix, spec]) {
    const parts = JSON.parse(spec!) as [number, number][]
    const { parseRetailCsv } = await import('../test/helpers/retail-csv.ts')
    const rows = parseRetailCsv(gunzipSync(readFileSync(file!)).toString('utf8'))
    parts.forEach(([lo, hi], k) => {
      const b = new AggregateBuilder()
      for (const r of rows) {
        const d = dayOf(r.invoiceDate)
        if (d >= lo && d < hi) b.push(r)
      }
      writeFileSync(`${prefix}${k}`, encodeAggregate(b.finish()))
    })
    writeFileSync(`${prefix}0.parts.json`, spec!)
    return { parts: parts.length }
  },
}

function run(mode: string, ...args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, [SELF, mode, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

const fmt = (o: Record<string, number>) =>
  Object.entries(o).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(k.startsWith('bytesPer') ? 1 : 0)}`).join(' ')

if (process.argv[2] && process.argv[2] in modes) {
  const result = await modes[process.argv[2]]!(process.argv.slice(3))
  console.log(JSON.stringify(result))
} else {
  mkdirSync(OUT, { recursive: true })
  const x1 = fullFile()
  const agg1 = path.join(OUT, 'aggregate_x1.bin')
  const day = (iso: string) => dayOf(Date.parse(`${iso}T00:00:00Z`))
  const [c1, c2] = [day('2011-04-01'), day('2011-08-15')]
  const overlapping: [number, number][] = [[0, c1 + 7], [c1, c2 + 7], [c2, 1e9]]
  const disjoint: [number, number][] = [[0, c1], [c1, c2], [c2, 1e9]]
  const lines: string[] = []
  const say = (label: string, o: Record<string, number>) => {
    const line = `${label.padEnd(34)} ${fmt(o)}`
    lines.push(line)
    console.log(line)
  }
  say('x1 bare parse', run('parse', x1))
  say('x1 build aggregate (streamed)', run('build', x1, agg1))
  say('x1 buildFeatures (sorted rows)', run('features', x1))
  say('x1 merge 1 dataset', run('merge', '-', agg1))
  run('split', x1, path.join(OUT, 'aggregate_disjoint_'), JSON.stringify(disjoint))
  say('x1 merge 3 disjoint-by-date', run('merge', '-', ...[0, 1, 2].map((k) => path.join(OUT, `aggregate_disjoint_${k}`))))
  run('split', x1, path.join(OUT, 'aggregate_overlap_'), JSON.stringify(overlapping))
  say('x1 merge 3 overlapping (rebuilds)', run('merge', x1, ...[0, 1, 2].map((k) => path.join(OUT, `aggregate_overlap_${k}`))))
  if (!process.argv.includes('--x1')) {
    const x10 = await scaledFile(10)
    const agg10 = path.join(OUT, 'aggregate_x10.bin')
    say('x10 bare parse', run('parse', x10))
    say('x10 build aggregate (streamed)', run('build', x10, agg10))
    say('x10 merge 1 dataset', run('merge', '-', agg10))
  }
  writeFileSync(path.join(OUT, 'aggregates.txt'), `${lines.join('\n')}\n`)
}
