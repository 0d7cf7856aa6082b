// Upload → ready for the full UCI file and a 10x file, on real Postgres and on embedded PGlite,
// against only gunzip + parse of the same file measured in the same run. `--xlsx` adds the full
// file as a workbook (made once into bench/out with bench/ingest-parse.ts --make-xlsx).
//
// Peak RSS is the server's high-water mark after the upload, on a server that has already
// answered a Prisma query (as every running service has: Prisma's query compiler alone is
// 35 MiB), so the figure is the upload's cost on a warm server, not a cold start.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
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
    return { ms: res.ms, rows: res.body.rows.read as number, rssMiB: peakRssMiB(server.child.pid!), idleMiB }
  } finally {
    await server.stop()
    await scratch?.drop()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }
}

export async function run(args: string[]): Promise<void> {
  const sizes: (number | 'xlsx')[] = args.includes('--quick') ? [1] : [1, 10]
  if (args.includes('--xlsx')) sizes.push('xlsx')
  const rows: Record<string, string | number>[] = []
  for (const copies of sizes) {
    const file = copies === 'xlsx' ? fullWorkbook() : copies === 1 ? fullFile() : await scaledFile(copies)
    const parse = await runChild('parse-only.ts', [file])
    const backends: ('postgres' | 'pglite')[] = copies === 1 || args.includes('--pglite-10x') ? ['postgres', 'pglite'] : ['postgres']
    for (const backend of backends) {
      const up = await uploadOn(backend, file)
      rows.push({
        file: copies === 'xlsx' ? 'x1 xlsx' : `x${copies}`,
        rows: up.rows,
        backend,
        'upload→ready s': fmt(up.ms / 1000),
        'gunzip+parse s': fmt(parse.ms / 1000),
        ratio: fmt(up.ms / parse.ms),
        'server idle RSS MiB': fmt(up.idleMiB, 0),
        'server peak RSS MiB': fmt(up.rssMiB, 0),
        'parse peak RSS MiB': fmt(parse.peakRssMiB, 0),
      })
    }
  }
  table(rows)
}
