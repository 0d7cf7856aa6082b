// Upload → ready for the full UCI file and a 10x file, on real Postgres and on embedded PGlite,
// against only gunzip + parse of the same file measured in the same run. `--xlsx` adds the full
// file as a workbook (made once into bench/out with bench/ingest-parse.ts --make-xlsx).
// Each upload is then deleted (DELETE /datasets/{id}) right after its 201 and the delete timed.
// The dataset's feature build is then reading its rows in the background: on Postgres the
// partition's DROP waits for that read to end, and on PGlite every statement waits for it in the
// one session, so the figure is a user's delete of a fresh upload, not the DROP alone.
// `--sheets` adds the full file as a two-sheet workbook (rows before 2011-06-01 on sheet 1, the
// rest on sheet 2; issue 11), made once into bench/out by test/helpers/corpus.ts, and checks its
// answer (541,909 rows, 4,372 customers, 25,900 invoices, per-sheet counts). `--only-sheets`
// measures that workbook alone; `--postgres-only` leaves PGlite out.
//
// Peak RSS is the server's high-water mark after the upload, on a server that has already
// answered a Prisma query (as every running service has: Prisma's query compiler alone is
// 35 MiB), so the figure is the upload's cost on a warm server, not a cold start.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { OUT, ROOT, fmt, fullFile, peakRssMiB, runChild, scaledFile, scratchDatabase, startServer, table, upload } from './lib/common.ts'

// --node-options="--max-old-space-size=256" runs the server under a V8 flag, to tell live memory
// from collector slack (docs/benchmarks.md).
const nodeOptions = process.argv.find((a) => a.startsWith('--node-options='))?.slice('--node-options='.length) ?? ''

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

function fullWorkbook(): string {
  const file = path.join(OUT, 'online_retail.xlsx')
  if (!existsSync(file)) {
    const made = spawnSync(process.execPath, ['bench/ingest-parse.ts', '--make-xlsx', fullFile(), file], { cwd: ROOT, stdio: 'inherit' })
    if (made.status !== 0) throw new Error('could not make the workbook')
  }
  return file
}

async function twoSheetWorkbook(): Promise<string> {
  const file = path.join(OUT, 'online_retail_2sheets.xlsx')
  if (!existsSync(file)) {
    const { parseRows, splitSheets, workbook } = await import('../test/helpers/corpus.ts')
    const { gunzipSync } = await import('node:zlib')
    const rows = parseRows(gunzipSync(readFileSync(fullFile())).toString('utf8'))
    await mkdir(OUT, { recursive: true })
    writeFileSync(file, await workbook(splitSheets(rows)))
  }
  return file
}

/** The answer for the two-sheet workbook must be the single file's figures. */
function checkTwoSheets(body: any): string {
  const want = { read: 541909, customers: 4372, invoices: 25900, from: '2010-12-01T08:26:00', to: '2011-12-09T12:50:00' }
  const got = { read: body.rows.read, customers: body.customers, invoices: body.invoices, from: body.dateRange.from, to: body.dateRange.to }
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`two-sheet workbook answered ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
  return (body.sheets as { name: string; rows: { read: number } }[]).map((s) => `${s.name}: ${s.rows.read}`).join(', ')
}

async function uploadOn(backend: 'postgres' | 'pglite', file: string) {
  const scratch = backend === 'postgres' ? await scratchDatabase() : null
  const dataDir = backend === 'pglite' ? await mkdtemp(path.join(os.tmpdir(), 'rs-bench-')) : ''
  const server = await startServer({ ...(scratch ? { DATABASE_URL: scratch.url } : { DATA_DIR: dataDir }), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) })
  try {
    const warm = await fetch(`${server.base}/datasets`)
    if (!warm.ok) throw new Error(`GET /datasets answered ${warm.status}`)
    const idleMiB = peakRssMiB(server.child.pid!)
    const res = await upload(server.port, file, file.endsWith('.xlsx') ? XLSX : 'application/gzip')
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`)
    const rssMiB = peakRssMiB(server.child.pid!)
    // The delete of the whole dataset (its transactions' partition dropped, issue 14 point 2).
    const started = performance.now()
    const del = await fetch(`${server.base}/datasets/${res.body.id}`, { method: 'DELETE' })
    if (del.status !== 204) throw new Error(`DELETE answered ${del.status}`)
    const deleteMs = performance.now() - started
    return { ms: res.ms, rows: res.body.rows.read as number, rssMiB, idleMiB, body: res.body, deleteMs }
  } finally {
    await server.stop()
    await scratch?.drop()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }
}

export async function run(args: string[]): Promise<void> {
  const sizes: (number | 'xlsx' | 'sheets')[] = args.includes('--only-sheets') ? [] : args.includes('--quick') ? [1] : [1, 10]
  if (args.includes('--xlsx')) sizes.push('xlsx')
  if (args.includes('--sheets') || args.includes('--only-sheets')) sizes.push('sheets')
  const rows: Record<string, string | number>[] = []
  for (const copies of sizes) {
    const file = copies === 'sheets' ? await twoSheetWorkbook() : copies === 'xlsx' ? fullWorkbook() : copies === 1 ? fullFile() : await scaledFile(copies)
    const parse = await runChild('parse-only.ts', [file])
    const both = (copies === 1 || copies === 'sheets' || args.includes('--pglite-10x')) && !args.includes('--postgres-only')
    const backends: ('postgres' | 'pglite')[] = both ? ['postgres', 'pglite'] : ['postgres']
    for (const backend of backends) {
      const up = await uploadOn(backend, file)
      if (copies === 'sheets') console.log(`two-sheet workbook on ${backend}: ${checkTwoSheets(up.body)}`)
      rows.push({
        file: copies === 'sheets' ? 'x1 xlsx, 2 sheets' : copies === 'xlsx' ? 'x1 xlsx' : `x${copies}`,
        rows: up.rows,
        backend,
        'upload→ready s': fmt(up.ms / 1000),
        'gunzip+parse s': fmt(parse.ms / 1000),
        ratio: fmt(up.ms / parse.ms),
        'server idle RSS MiB': fmt(up.idleMiB, 0),
        'server peak RSS MiB': fmt(up.rssMiB, 0),
        'delete s': fmt(up.deleteMs / 1000),
        'parse peak RSS MiB': fmt(parse.peakRssMiB, 0),
      })
    }
  }
  table(rows)
}
