// Model-layer benchmarks.
// 1. k-means: ml-kmeans 7 vs our Float64Array Lloyd/Hamerly (src/pipeline/kmeans.ts), k-means++,
//    k=3, 10 starts, max 100 iterations, on the original's 4,067 x 6 PCA matrix and on a
//    43,620-row (10x) jittered copy. Each (library, size) runs in its own child process so its
//    peak RSS is its own.
// 2. PCA: ml-pca 4 (SVD, covariance) vs ours (covariance + Jacobi) on the original's scaled matrix.
// 3. trainModel: seed and default recipes on the 4,282-customer reference table, first (cold JIT)
//    and warm runs, wall and process CPU time.
//   node bench/kmeans.ts                 -> all tables (markdown)
//   node bench/kmeans.ts ours 10         -> one k-means measurement as JSON (used by the table run)
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { kmeans as mlKmeans } from 'ml-kmeans'
import { PCA } from 'ml-pca'
import { kmeans } from '../src/pipeline/kmeans.ts'
import { fitPca, projectPca } from '../src/pipeline/pca.ts'
import { mulberry32 } from '../src/pipeline/prng.ts'
import { fitTransforms } from '../src/pipeline/transforms.ts'
import { trainModel } from '../src/pipeline/train.ts'
import { ORIGINAL_FEATURES, ORIGINAL_NORMALIZED, ORIGINAL_RAW, ORIGINAL_SCALED } from '../src/pipeline/model-spec.ts'
import type { FeatureTable, Matrix } from '../src/pipeline/types.ts'

const K = 3
const N_INIT = 10
const MAX_ITER = 100
const REPEATS = 5

function loadPca(): Matrix {
  const path = fileURLToPath(new URL('../test/fixtures/reference/seed_pca_output_4067.csv', import.meta.url))
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1)
  const data = new Float64Array(lines.length * 6)
  lines.forEach((l, i) => l.split(',').slice(1, 7).forEach((v, j) => (data[i * 6 + j] = Number(v))))
  return { rows: lines.length, cols: 6, data }
}

/** `rows` rows cycling through the reference matrix, each jittered by N(0, 0.05²). */
function scaled(base: Matrix, rows: number): Matrix {
  const rng = mulberry32(42)
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
  const data = new Float64Array(rows * base.cols)
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < base.cols; j++) data[i * base.cols + j] = base.data[(i % base.rows) * base.cols + j]! + (i < base.rows ? 0 : 0.05 * gauss())
  }
  return { rows, cols: base.cols, data }
}

function runOnce(lib: string, m: Matrix): { ms: number; inertia: number; sizes: number[] } {
  const t0 = performance.now()
  let inertia = Infinity
  let labels: ArrayLike<number> = []
  if (lib === 'ours') {
    const r = kmeans(m, { k: K, nInit: N_INIT, maxIter: MAX_ITER, seed: 7 })
    inertia = r.inertia
    labels = r.labels
  } else {
    // ml-kmeans: no n_init, so loop over seeds; inertia = Σ error·size from computeInformation.
    const rows: number[][] = []
    for (let i = 0; i < m.rows; i++) rows.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)))
    for (let s = 0; s < N_INIT; s++) {
      const r = mlKmeans(rows, K, { initialization: 'kmeans++', maxIterations: MAX_ITER, seed: 7 + s })
      const info = r.computeInformation(rows)
      const inn = info.reduce((acc, c) => acc + c.error * c.size, 0)
      if (inn < inertia) {
        inertia = inn
        labels = r.clusters
      }
    }
  }
  const ms = performance.now() - t0
  const sizes = new Array<number>(K).fill(0)
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++
  return { ms, inertia, sizes: sizes.sort((a, b) => a - b) }
}

function referenceTables(): { seed: FeatureTable; def: FeatureTable } {
  const path = fileURLToPath(new URL('../test/fixtures/reference/seed_customer_features_4282.csv', import.meta.url))
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  const h = lines[0]!.split(',')
  const rows = lines.slice(1).map((l) => l.split(','))
  const ids = rows.map((r) => r[0]!)
  const table = (names: readonly string[]): Float64Array => {
    const data = new Float64Array(rows.length * names.length)
    rows.forEach((r, i) => names.forEach((c, j) => (data[i * names.length + j] = Number(r[h.indexOf(c)]))))
    return data
  }
  const seedCols = ORIGINAL_FEATURES.map((f) => (f === 'Cancellation_Rate' ? 'Cancellation_Rate_fixed' : f))
  const referenceDate = Date.UTC(2011, 11, 9)
  return {
    seed: { recipe: 'original', recipeVersion: 1, features: [...ORIGINAL_FEATURES], customerIds: ids, values: table(seedCols), referenceDate },
    def: { recipe: 'default', recipeVersion: 1, features: ['recency_days', 'frequency', 'monetary'], customerIds: ids, values: table(['Days_Since_Last_Purchase', 'Total_Transactions', 'Total_Spend']), referenceDate },
  }
}

/** Wall and process-CPU milliseconds of `f`. */
function timed(f: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage()
  const w = performance.now()
  f()
  const d = process.cpuUsage(c)
  return { wall: performance.now() - w, cpu: (d.user + d.system) / 1000 }
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b)
  return `${s[0]!.toFixed(0)} / ${s[s.length >> 1]!.toFixed(0)}`
}

function pcaTable(): void {
  const { seed } = referenceTables()
  const cols = [...ORIGINAL_FEATURES] as string[]
  const m = fitTransforms(
    [
      { kind: 'standardize', columns: ORIGINAL_SCALED.map((c) => cols.indexOf(c)) },
      { kind: 'l2normalize', columns: ORIGINAL_NORMALIZED.map((c) => cols.indexOf(c)) },
      { kind: 'passthrough', columns: ORIGINAL_RAW.map((c) => cols.indexOf(c)) },
    ],
    { rows: seed.customerIds.length, cols: 15, data: seed.values },
  ).output
  const rows: number[][] = []
  for (let i = 0; i < m.rows; i++) rows.push(Array.from(m.data.subarray(i * 15, i * 15 + 15)))
  const runs: Record<string, { fit: number[]; project: number[] }> = {}
  const add = (name: string, fit: number, project: number): void => {
    runs[name] ??= { fit: [], project: [] }
    runs[name].fit.push(fit)
    runs[name].project.push(project)
  }
  for (let r = 0; r < 7; r++) {
    for (const method of ['SVD', 'covarianceMatrix'] as const) {
      let p: PCA | null = null
      const f = timed(() => (p = new PCA(rows, { method })))
      const pr = timed(() => p!.predict(rows, { nComponents: 6 }))
      add(`ml-pca ${method}`, f.cpu, pr.cpu)
    }
    let model: ReturnType<typeof fitPca> | null = null
    const f = timed(() => (model = fitPca(m, { rule: 'cumulative-plus-one', threshold: 0.8 })))
    const pr = timed(() => projectPca(model!, m))
    add('ours (covariance + Jacobi)', f.cpu, pr.cpu)
  }
  console.log(`\n| PCA, ${m.rows} x 15 → 6 | fit ms (min / median CPU, 7 runs, first included) | project ms |`)
  console.log('|---|---|---|')
  for (const [name, r] of Object.entries(runs)) console.log(`| ${name} | ${stats(r.fit)} | ${stats(r.project)} |`)
}

function trainTable(): void {
  const { seed, def } = referenceTables()
  console.log('\n| trainModel, 4,282 customers | first run wall / CPU ms | warm runs wall ms (min / median of 5) | warm CPU ms (min / median) | phases of the last run (ms) |')
  console.log('|---|---|---|---|---|')
  for (const [name, run] of [
    ['default (k auto 3..8 + k=2, 10 bootstraps per k)', () => trainModel({ table: def, yardstick: seed }, { recipe: 'default', seed: 0 })],
    ['seed (k=3, stability 10 bootstraps)', () => trainModel({ table: seed }, { recipe: 'original', seed: 0 })],
  ] as const) {
    let last: ReturnType<typeof trainModel> | null = null
    const first = timed(() => (last = run()))
    const wall: number[] = []
    const cpu: number[] = []
    for (let r = 0; r < 5; r++) {
      const t = timed(() => (last = run()))
      wall.push(t.wall)
      cpu.push(t.cpu)
    }
    console.log(`| ${name} | ${first.wall.toFixed(0)} / ${first.cpu.toFixed(0)} | ${stats(wall)} | ${stats(cpu)} | ${JSON.stringify(last!.report.timingsMs)} |`)
  }
}

const [, , lib, factor] = process.argv
if (lib === 'pca') pcaTable()
else if (lib === 'train') trainTable()
else if (lib) {
  const base = loadPca()
  const m = factor === '10' ? scaled(base, 43620) : base
  const rssBefore = process.resourceUsage().maxRSS
  const times: number[] = []
  let last = runOnce(lib, m)
  for (let r = 0; r < REPEATS; r++) {
    last = runOnce(lib, m)
    times.push(last.ms)
  }
  times.sort((a, b) => a - b)
  const rssAfter = process.resourceUsage().maxRSS
  console.log(JSON.stringify({ lib, rows: m.rows, medianMs: times[times.length >> 1], minMs: times[0], inertia: last.inertia, sizes: last.sizes, extraPeakRssMB: (rssAfter - rssBefore) / 1024 }))
} else {
  const self = fileURLToPath(import.meta.url)
  console.log('| implementation | rows | median ms (k=3, 10 starts) | min ms | peak RSS added MB | inertia | sizes |')
  console.log('|---|---|---|---|---|---|---|')
  for (const f of ['1', '10']) {
    for (const l of ['ours', 'ml-kmeans']) {
      const out = execFileSync(process.execPath, [...process.execArgv, self, l, f], { encoding: 'utf8' })
      const r = JSON.parse(out.trim().split('\n').pop()!) as { lib: string; rows: number; medianMs: number; minMs: number; extraPeakRssMB: number; inertia: number; sizes: number[] }
      console.log(`| ${r.lib} | ${r.rows} | ${r.medianMs.toFixed(1)} | ${r.minMs.toFixed(1)} | ${r.extraPeakRssMB.toFixed(1)} | ${r.inertia.toFixed(1)} | ${r.sizes.join(' / ')} |`)
    }
  }
  pcaTable()
  trainTable()
}
