// The database of a training thread, relayed to the main thread's handle: `query` and `copyOut`,
// the two calls a training makes (stored aggregates, a rebuild's or a fallback's transaction
// batches, the features a fallback stores).
// Why not a connection of the thread's own: PGlite is an in-process database that only the
// thread that opened it can use, and one relay keeps both backends on the same path. The COPY
// text moves as bytes (transferred, not cloned) and is parsed in the thread, so the main thread
// does no per-row work.
import type { Database, SqlRunner } from '../db/database.ts'
import { COPY_WINDOW, isDbAnswer, type DbAnswer, type DbRequest, type FromThread, type ToThread } from './thread-protocol.ts'

/** The side of a MessagePort (parentPort, a Worker) the relay needs. */
interface Port<In, Out> {
  postMessage(m: Out, transfer?: ArrayBuffer[]): void
  on(event: 'message', fn: (m: In) => void): unknown
}

/** Bytes the receiving thread can own: the buffer itself when the view is all of it, else a copy. */
function movable(chunk: Uint8Array): Uint8Array {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer) return chunk
  return new Uint8Array(chunk)
}

// ------------------------------------------------------------------ main thread

/** Answers the thread's database requests from `db`; `close` ends the COPYs still open. */
export function serveDatabase(db: Pick<SqlRunner, 'query' | 'copyOut'>, thread: Port<FromThread, ToThread>): { close(): Promise<void> } {
  const copies = new Map<number, { credits: number; stopped: boolean; wake: () => void }>()
  const running = new Set<Promise<void>>()
  const post = (m: DbAnswer, transfer: ArrayBuffer[] = []) => {
    try {
      thread.postMessage(m, transfer)
    } catch (err) {
      // A buffer that may not move (one marked untransferable) is copied instead.
      if (transfer.length === 0 || m.type !== 'chunk') throw err
      thread.postMessage({ ...m, bytes: new Uint8Array(m.bytes) })
    }
  }
  const copy = async (id: number, select: string) => {
    const c = { credits: COPY_WINDOW, stopped: false, wake: () => {} }
    copies.set(id, c)
    try {
      for await (const chunk of db.copyOut(select)) {
        // A return from the loop ends the COPY (and releases its connection).
        if (c.stopped) return
        const bytes = movable(chunk)
        post({ type: 'chunk', id, bytes }, [bytes.buffer as ArrayBuffer])
        c.credits--
        while (c.credits <= 0 && !c.stopped) await new Promise<void>((resolve) => { c.wake = resolve })
        if (c.stopped) return
      }
      if (!c.stopped) post({ type: 'end', id })
    } catch (err) {
      if (!c.stopped) post({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) })
    } finally {
      copies.delete(id)
    }
  }
  const track = (p: Promise<void>) => {
    running.add(p)
    void p.finally(() => running.delete(p))
  }
  thread.on('message', (m) => {
    switch (m.type) {
      case 'query':
        track(db.query(m.text, m.params).then((rows) => post({ type: 'rows', id: m.id, rows }), (err: unknown) => post({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) })).catch(() => {}))
        break
      case 'copy':
        track(copy(m.id, m.select))
        break
      case 'taken':
      case 'stop': {
        const c = copies.get(m.id)
        if (!c) break
        if (m.type === 'taken') c.credits++
        else c.stopped = true
        c.wake()
        break
      }
    }
  })
  return {
    async close() {
      for (const c of copies.values()) {
        c.stopped = true
        c.wake()
      }
      await Promise.all(running)
    },
  }
}

// ------------------------------------------------------------------ training thread

const unavailable = (what: string) => () => {
  throw new Error(`${what} is not available in the training thread: only query and copyOut are relayed (src/training/thread-db.ts)`)
}

/** A Database whose `query` and `copyOut` are answered by the main thread; the rest throws. */
export function relayedDatabase(port: Port<ToThread, FromThread>, kind: Database['kind']): Database {
  let nextId = 1
  const waiting = new Map<number, (m: DbAnswer) => void>()
  port.on('message', (m) => {
    if (isDbAnswer(m)) waiting.get(m.id)?.(m)
  })
  const answerTo = (m: DbRequest) => new Promise<DbAnswer>((resolve) => {
    waiting.set(m.id, resolve)
    port.postMessage(m)
  })

  async function query<R>(text: string, params?: unknown[]): Promise<R[]> {
    const id = nextId++
    const a = await answerTo({ type: 'query', id, text, params }).finally(() => waiting.delete(id))
    if (a.type === 'rows') return a.rows as R[]
    throw new Error(a.type === 'failed' ? a.message : `unexpected ${a.type}`)
  }

  async function* copyOut(select: string): AsyncGenerator<Buffer> {
    const id = nextId++
    const inbox: DbAnswer[] = []
    let wake = () => {}
    waiting.set(id, (a) => {
      inbox.push(a)
      wake()
    })
    port.postMessage({ type: 'copy', id, select })
    let ended = false
    try {
      for (;;) {
        while (inbox.length === 0) await new Promise<void>((resolve) => { wake = resolve })
        const a = inbox.shift()!
        if (a.type === 'end') return void (ended = true)
        if (a.type !== 'chunk') throw new Error(a.type === 'failed' ? a.message : `unexpected ${a.type}`)
        port.postMessage({ type: 'taken', id })
        // Transferred bytes arrive as a plain Uint8Array; readers expect a Buffer.
        yield Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength)
      }
    } catch (err) {
      ended = true // failed on the main thread: nothing to stop there
      throw err
    } finally {
      waiting.delete(id)
      if (!ended) port.postMessage({ type: 'stop', id })
    }
  }

  return {
    kind,
    get prisma(): never {
      return unavailable('Prisma')()
    },
    query,
    copyOut,
    exec: unavailable('exec'),
    transaction: unavailable('transaction'),
    listen: unavailable('listen'),
    executeSql: unavailable('executeSql'),
    onClose: unavailable('onClose'),
    close: async () => {},
  }
}
