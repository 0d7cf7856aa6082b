// Real processes for tests: the server and worker entries, started as ops start them.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  return port
}

export function startProcess(entry: 'src/server.ts' | 'src/worker.ts', env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [entry], {
    // Overload protection off, as in the rest of the suite (see freshConfig).
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_HEAP_USED_PERCENT: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

export async function waitReady(port: number, ms = 60_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0)
    if (status === 200) return Date.now() - started
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not ready after ${ms} ms`)
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  child.kill(signal)
  const [code] = await once(child, 'exit')
  return code as number | null
}
