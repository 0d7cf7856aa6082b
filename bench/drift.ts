// GET /drift on the full UCI file against a model trained on it, median of 5, beside a read-only
// pass over the same stored rows (which the drift request has to make too) in the same run.
import { fmt, runChild, table, withTrainedServer } from './lib/common.ts'

export async function run(args: string[]): Promise<void> {
  const runs = args.includes('--quick') ? 3 : 5
  await withTrainedServer(async (server, { databaseUrl, datasetId }) => {
    const times: number[] = []
    let last: any
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const res = await fetch(`${server.base}/drift?datasetId=${datasetId}`)
      last = await res.json()
      times.push(performance.now() - t0)
      if (res.status !== 200) throw new Error(`drift: ${res.status} ${JSON.stringify(last)}`)
    }
    times.sort((a, b) => a - b)
    const base = await runChild('train-once.ts', [databaseUrl, datasetId, 'read-only'])
    const median = times[Math.floor(runs / 2)]!
    table([{ request: 'GET /drift (full file)', customers: last.currentSize, 'median s': fmt(median / 1000), 'min s': fmt(times[0]! / 1000), 'max s': fmt(times[runs - 1]! / 1000), 'read-only pass s': fmt(base.ms / 1000), ratio: fmt(median / base.ms) }])
    console.log(`\ngoal: ≤ 2 s; datasetDrift ${last.datasetDrift} (the training data against itself)`)
  })
}
