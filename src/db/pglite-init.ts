// Creates a new embedded data directory, in a worker thread that ends when it is done. A fresh
// PGlite runs initdb in a second WebAssembly instance and a temporary third one; in the server's
// own thread their compiled code and memory outlived them (the first start idled ~170 MiB above a
// restart). A thread takes all of it away when it exits (docs/benchmarks.md, "Embedded footprint").
import { workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

const { dir, startParams } = workerData as { dir: string; startParams: string[] }
const lite = await PGlite.create(dir, { startParams })
await lite.close()
