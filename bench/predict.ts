// GET /predict/customer/{id} over random known ids under autocannon (50 connections, 10 s),
// beside the app's own trivial route (/health/live) in the same run, and POST /predict/customers
// with 10,000 ids. Server and load generator share the machine's two cores.
import autocannon from 'autocannon'
import { fmt, knownCustomerIds, peakRssMiB, table, withTrainedServer } from './lib/common.ts'

interface Run { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function cannon(url: string, paths: string[] | null, seconds: number): Promise<Run> {
  const result = await autocannon({
    url,
    connections: 50,
    duration: seconds,
    requests: paths ? [{ setupRequest: (req: any) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }) }] : undefined,
  })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx }
}

export async function run(args: string[]): Promise<void> {
  const seconds = args.includes('--quick') ? 3 : 10
  await withTrainedServer(async (server) => {
    const ids = await knownCustomerIds(server.base)
    const paths = ids.map((id) => `/predict/customer/${id}`)

    const trivial = await cannon(`${server.base}/health/live`, null, seconds)
    const predict = await cannon(server.base, paths, seconds)
    table([
      { route: 'GET /health/live (baseline)', 'req/s': fmt(trivial.rps, 0), 'p50 ms': trivial.p50, 'p99 ms': trivial.p99, errors: trivial.errors + trivial.non2xx },
      { route: 'GET /predict/customer/{id}', 'req/s': fmt(predict.rps, 0), 'p50 ms': predict.p50, 'p99 ms': predict.p99, errors: predict.errors + predict.non2xx },
    ])
    console.log(`\nthroughput ratio ${fmt(predict.rps / trivial.rps)} (goal ≥ 0.5), p99 ratio ${fmt(predict.p99 / Math.max(trivial.p99, 1))} (goal ≤ 2), customers ${ids.length}`)

    const batch = Array.from({ length: 10_000 }, (_, i) => ids[i % ids.length]!)
    const times: number[] = []
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now()
      const res = await fetch(`${server.base}/predict/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerIds: batch }) })
      const body: any = await res.json()
      times.push(performance.now() - t0)
      if (body.predictions.length !== 10_000) throw new Error('batch answered short')
    }
    times.sort((a, b) => a - b)
    console.log(`batch of 10,000 ids: median ${fmt(times[3]!, 0)} ms (min ${fmt(times[0]!, 0)}, max ${fmt(times[6]!, 0)}; goal ≤ 200 ms), server peak RSS ${fmt(peakRssMiB(server.child.pid!), 0)} MiB`)
  })
}
