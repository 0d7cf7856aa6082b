// Gunzip as a stream, with the inflation limits applied to every inflated chunk, so a bomb is
// refused after at most one chunk past the limit and nothing is ever buffered whole. Concatenated
// gzip members (as `cat a.gz b.gz` makes) are one stream, as gunzip(1) reads them.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, type ZlibOptions } from 'node:zlib'
import { HttpProblem } from '../errors.ts'
import type { InflationLimit } from './meter.ts'
import { unreadable } from './problems.ts'

export async function* gunzip(compressed: AsyncIterable<Buffer>, limit: InflationLimit): AsyncGenerator<Buffer> {
  // A deeper output buffer lets zlib's thread inflate ahead while this thread parses.
  const inflater = createGunzip({ chunkSize: 64 * 1024, highWaterMark: 1024 * 1024 } as ZlibOptions)
  // Errors of either side surface through the iteration below; this promise only must not go
  // unhandled when the consumer stops early.
  pipeline(Readable.from(compressed, { objectMode: false }), inflater).catch(() => undefined)
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      // bytesWritten: the compressed bytes zlib has consumed, exact whatever the write sizes.
      limit.add(chunk.length, inflater.bytesWritten)
      yield chunk
    }
  } catch (err) {
    if (err instanceof HttpProblem) throw err
    const message = err instanceof Error ? err.message : String(err)
    throw unreadable(`truncated or corrupt gzip data: ${message}`)
  } finally {
    inflater.destroy()
  }
}
