// A worker thread's TypeScript entry compiled to plain ES modules, once per process.
//
// Node 20 does not run tsx's loader hooks in worker threads, and registering tsx inside each
// thread cost ~200 ms to start and ~11 MiB of the thread's memory (plus its compiled-source
// cache). esbuild, which the install already uses for the dashboard, bundles our modules in
// ~40 ms; packages stay outside the bundle, imported by absolute file URL, so the files can live
// in the temporary directory and a package loaded lazily (exceljs) is still loaded only when
// needed.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { threadId } from 'node:worker_threads'
import type { Plugin } from 'esbuild'

const require = createRequire(import.meta.url)

/** Bare imports (packages) stay imports, of the file the package resolves to from here. */
const packagesByUrl: Plugin = {
  name: 'packages-by-url',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true }
      return { path: pathToFileURL(require.resolve(args.path, { paths: [args.resolveDir] })).href, external: true }
    })
  },
}

/**
 * Compiles `entry` and returns the URL of the compiled entry module. The files go to a folder of
 * the temporary directory named by their content, so processes running the same code share them,
 * a restart reuses them, and no process has anything to clean up.
 */
export async function bundleThread(entry: URL): Promise<URL> {
  const { build, stop } = await import('esbuild')
  // esbuild's service is a child process (~20 MiB) that would otherwise live as long as the server.
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    // One file per dynamic import, so that code is still evaluated only when it is imported.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: '/',
    outExtension: { '.js': '.mjs' },
    entryNames: 'entry',
    write: false,
    plugins: [packagesByUrl],
    logLevel: 'silent',
  }).finally(() => stop())
  const hash = createHash('sha256')
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents)
  const dir = path.join(os.tmpdir(), `retail-segments-thread-${hash.digest('hex').slice(0, 16)}`)
  mkdirSync(dir, { recursive: true })
  for (const file of result.outputFiles) {
    const target = path.join(dir, path.basename(file.path))
    if (existsSync(target)) continue
    // Written whole, then renamed: another process may be starting the same thread.
    const partial = `${target}.${process.pid}.${threadId}.partial`
    writeFileSync(partial, file.contents)
    renameSync(partial, target)
  }
  return pathToFileURL(path.join(dir, 'entry.mjs'))
}
