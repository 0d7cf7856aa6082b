// Runs test/oracles/value_oracle.py (scipy) on one request. A missing python3 or scipy is an error
// with a message saying so: the oracle tests must fail, not skip, where they cannot run.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../oracles/value_oracle.py', import.meta.url))

let checked = false

function checkPython(): void {
  if (checked) return
  try {
    execFileSync('python3', ['-c', 'import scipy, numpy'], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(
      `the value oracle needs python3 with scipy and numpy (Debian: apt-get install python3-scipy): ${(err as Error).message}`,
      { cause: err },
    )
  }
  checked = true
}

export function oracle<T = any>(request: Record<string, unknown>): T {
  checkPython()
  const out = execFileSync('python3', [script], { input: JSON.stringify(request), maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(out.toString()) as T
}
