// Runs test/oracles/value_oracle.py (scipy) on one request. A missing python3 or scipy is an error
// with a message saying so: the oracle tests must fail, not skip, where they cannot run.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../oracles/value_oracle.py', import.meta.url))

let python: string | undefined

/** The first of $PYTHON, python3 on PATH and Debian's /usr/bin/python3 that has scipy and numpy. */
function findPython(): string {
  if (python) return python
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)
  const failures: string[] = []
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-c', 'import scipy, numpy'], { stdio: 'pipe' })
      return (python = candidate)
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  throw new Error(`the value oracle needs python3 with scipy and numpy (Debian: apt-get install python3-scipy); tried ${failures.join('; ')}`)
}

export function oracle<T = any>(request: Record<string, unknown>): T {
  const out = execFileSync(findPython(), [script], { input: JSON.stringify(request), maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(out.toString()) as T
}
