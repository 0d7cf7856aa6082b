// Writes openapi/openapi.json from the route schemas (npm run openapi). The document does not
// depend on data, so a throwaway embedded database in a temporary folder serves.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

export const OPENAPI_FILE = new URL('../openapi/openapi.json', import.meta.url)

export function renderOpenapi(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'retail-segments-openapi-'))
  const app = await buildApp({ ...loadConfig({}), databaseUrl: undefined, dataDir }, { logger: false })
  await app.ready()
  await writeFile(OPENAPI_FILE, renderOpenapi(app.swagger()))
  await app.close()
  await rm(dataDir, { recursive: true, force: true })
  console.log(`wrote ${OPENAPI_FILE.pathname}`)
}
