// Bundles the dashboard (web/src, TypeScript + CSS, uPlot from node_modules) with esbuild.
// `npm run build:web` (also run by postinstall) writes web/dist/; the dashboard plugin serves
// web/dist/ when its source hash matches the sources, and otherwise bundles in memory at start-up
// (about 0.1 s), so a stale or missing build never serves an old page.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const WEB_DIR = fileURLToPath(new URL('.', import.meta.url))
export const DIST_DIR = path.join(WEB_DIR, 'dist')
const SRC_DIR = path.join(WEB_DIR, 'src')
const MANIFEST = 'build.json'

/** The served files by name (index.html, app.js, app.css). */
export type WebFiles = Record<string, Buffer>

/** True when the sources are there (an install that copied only some folders has none). */
export function hasSources(): boolean {
  return existsSync(path.join(SRC_DIR, 'main.ts')) && existsSync(path.join(WEB_DIR, 'index.html'))
}

/** Hash of everything that goes into the bundle: the sources, this script, uPlot's locked version. */
export async function sourceHash(): Promise<string> {
  const h = createHash('sha256')
  const files = [path.join(WEB_DIR, 'index.html'), fileURLToPath(import.meta.url), ...(await readdir(SRC_DIR)).sort().map((f) => path.join(SRC_DIR, f))]
  for (const f of files) h.update(f.slice(WEB_DIR.length)).update('\0').update(await readFile(f)).update('\0')
  // uPlot's version as the lockfile pins it: a production install (no dev dependencies, so no
  // uplot and no esbuild) still finds the build made from the same sources.
  const lock = await readFile(new URL('../package-lock.json', import.meta.url), 'utf8').catch(() => '{}')
  h.update((JSON.parse(lock) as { packages?: Record<string, { version?: string }> }).packages?.['node_modules/uplot']?.version ?? '')
  return h.digest('hex')
}

/** Bundles the sources in memory. */
export async function bundle(): Promise<WebFiles> {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: WEB_DIR,
    entryPoints: { app: path.join(SRC_DIR, 'main.ts') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'eof',
    outdir: DIST_DIR,
    write: false,
    logLevel: 'silent',
  })
  const files: WebFiles = { 'index.html': await readFile(path.join(WEB_DIR, 'index.html')) }
  for (const f of result.outputFiles) files[path.basename(f.path)] = Buffer.from(f.contents)
  if (!files['app.js'] || !files['app.css']) throw new Error(`esbuild produced ${Object.keys(files).join(', ')}, expected app.js and app.css`)
  return files
}

/** web/dist/ if it was built from the current sources, else null. */
export async function readDist(hash: string): Promise<WebFiles | null> {
  try {
    const manifest = JSON.parse(await readFile(path.join(DIST_DIR, MANIFEST), 'utf8')) as { sourceHash?: string; files?: string[] }
    if (manifest.sourceHash !== hash || !manifest.files) return null
    const files: WebFiles = {}
    for (const f of manifest.files) files[f] = await readFile(path.join(DIST_DIR, f))
    return files
  } catch {
    return null
  }
}

/** Bundles into web/dist/ (replaced whole, so a reader never sees half a build). */
export async function writeDist(): Promise<{ files: string[]; ms: number }> {
  const started = Date.now()
  const hash = await sourceHash()
  const files = await bundle()
  const tmp = `${DIST_DIR}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(tmp, name), body)
  await writeFile(path.join(tmp, MANIFEST), `${JSON.stringify({ sourceHash: hash, files: Object.keys(files), builtAt: new Date().toISOString() }, null, 2)}\n`)
  await rm(DIST_DIR, { recursive: true, force: true })
  await rename(tmp, DIST_DIR)
  return { files: Object.keys(files), ms: Date.now() - started }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!hasSources()) {
    // e.g. a Docker layer that installs dependencies before copying the sources.
    console.log('build:web: no web/ sources here, nothing to build (the service bundles them at start-up when they are present)')
  } else {
    const { files, ms } = await writeDist()
    console.log(`build:web: wrote ${files.join(', ')} to web/dist in ${ms} ms`)
  }
}
