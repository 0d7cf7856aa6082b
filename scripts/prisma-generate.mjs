// Runs `prisma generate` offline. Prisma 7's CLI insists on locating its native schema
// engine before it does anything, and cannot download it here; `generate` never runs the
// engine, so any existing file satisfies the lookup. The CLI can exit 0 without output when
// something goes wrong, so we check that the client really was written.
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = fileURLToPath(new URL('../src/generated/prisma/client.ts', import.meta.url))
rmSync(fileURLToPath(new URL('../src/generated/prisma', import.meta.url)), { recursive: true, force: true })

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' }
const res = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'generate'], { cwd: root, env, stdio: 'inherit' })
if (res.status !== 0 || !existsSync(out)) {
  console.error(`prisma generate failed (exit ${res.status}); expected ${out}`)
  process.exit(1)
}
