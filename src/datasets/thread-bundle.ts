// A worker thread's TypeScript entry compiled to plain ES modules, once per process.
//
// Node 20 does not run tsx's loader hooks in worker threads, and registering tsx inside each
// thread cost ~200 ms to start and ~11 MiB of the thread's memory (plus its compiled-source
// cache). esbuild, which the install already uses for the dashboard, bundles our modules in
// ~40 ms; packages stay outside the bundle, imported by absolute file URL, so the files can live
// in a temporary folder and a package loaded lazily (exceljs) is still loaded only when needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
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

export interface ThreadBundle {
  /** The entry module to start a Worker on. */
  url: URL
  /** Removes the files. */
  remove(): void
}

export async function bundleThread(entry: URL): Promise<ThreadBundle> {
  const { build } = await import('esbuild')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retail-segments-thread-'))
  try {
    const result = await build({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      // One file per dynamic import, so that code is still evaluated only when it is imported.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      entryNames: 'entry',
      write: false,
      plugins: [packagesByUrl],
      logLevel: 'silent',
    })
    for (const file of result.outputFiles) writeFileSync(file.path, file.contents)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return { url: pathToFileURL(path.join(dir, 'entry.mjs')), remove: () => rmSync(dir, { recursive: true, force: true }) }
}
