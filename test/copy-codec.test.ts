// The COPY codec (src/codec/csv.ts) against the real thing: strings written with COPY … FROM
// (FORMAT csv) through `copyCsvText` / `copyCsvTextArray` and read back with COPY … TO STDOUT
// (FORMAT text) through `copyLines` / `decodeCopyText` come back as written, on PGlite and (with
// DATABASE_URL) on Postgres, in one run. Hand cases pin the escapes COPY TO never emits (octal,
// hex, a backslash before an ordinary character) to PostgreSQL's documented COPY TEXT rules.
import t from 'tap'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { copyCsvText, copyCsvTextArray, copyLines, decodeCopyString, decodeCopyText } from '../src/codec/csv.ts'
import { openPglite, openPostgres, type Database } from '../src/db/database.ts'
import { parseArrayLiteral } from '../src/registry/served.ts'
import { createPostgresDatabase } from './helpers/db.ts'

t.test('decodeCopyText: PostgreSQL COPY TEXT escapes', async (t) => {
  t.equal(decodeCopyText('\\N'), null, '\\N alone is NULL')
  t.equal(decodeCopyText('a\\Nb'), 'aNb', '\\N inside a field is N')
  t.equal(decodeCopyText('\\b\\f\\n\\r\\t\\v'), '\b\f\n\r\t\v')
  t.equal(decodeCopyText('a\\\\b'), 'a\\b', 'an escaped backslash')
  t.equal(decodeCopyText('\\101\\0102'), 'A\b2', 'octal: 1-3 digits')
  t.equal(decodeCopyText('\\x41\\x4g'), 'A\x04g', 'hex: 1-2 digits')
  t.equal(decodeCopyText('\\xg'), 'xg', '\\x without a hex digit is x')
  t.equal(decodeCopyText('\\303\\251t\\xc3\\xa9'), 'été', 'byte escapes are UTF-8 bytes')
  t.equal(decodeCopyText('\\q\\"'), 'q"', 'any other character stands for itself')
  t.equal(decodeCopyText('plain'), 'plain')
  t.equal(decodeCopyString('\\N'), '', 'a NOT NULL column never reads as NULL')
})

t.test('copyLines splits chunks at newlines only', async (t) => {
  async function* chunks() {
    const bytes = new TextEncoder().encode('a\tb\nél\\n\n\nlast')
    for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3)
  }
  const lines: string[] = []
  for await (const batch of copyLines(chunks())) lines.push(...batch)
  t.same(lines, ['a\tb', 'él\\n', '', 'last'], 'multi-byte characters split across chunks survive')
})

// Text Postgres can store (no NUL), weighted toward what escaping must handle.
const awkward = fc.constantFrom('\\', '\t', '\n', '\r', '"', ',', '\b', '\f', '\v', '{', '}', ' ', 'N', '\\N', '""', '\x01', '\x7f', 'é', '😀')
const text = fc.string({ unit: fc.oneof(awkward, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 30 })
  .filter((s) => !s.includes('\0'))
const row = fc.record({ s: fc.option(text, { nil: null }), a: fc.array(text, { maxLength: 4 }) })

async function roundTrip(db: Database, rows: { s: string | null; a: string[] }[]): Promise<{ s: string | null; a: string[] }[]> {
  await db.exec('DROP TABLE IF EXISTS codec_rt; CREATE TABLE codec_rt (i int PRIMARY KEY, s text, a text[] NOT NULL)')
  async function* csv() {
    yield rows.map((r, i) => `${i},${copyCsvText(r.s)},${copyCsvTextArray(r.a)}\n`).join('')
  }
  await db.transaction((tx) => tx.copyCsv('codec_rt', ['i', 's', 'a'], csv()))
  const out: { s: string | null; a: string[] }[] = []
  for await (const batch of copyLines(db.copyOut('SELECT s, a FROM codec_rt ORDER BY i'))) {
    for (const line of batch) {
      const [s, a] = line.split('\t') as [string, string]
      out.push({ s: decodeCopyText(s), a: parseArrayLiteral(decodeCopyString(a)) })
    }
  }
  return out
}

async function backends(t: { teardown(fn: () => unknown): void }): Promise<[string, Database][]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codec-'))
  const lite = await openPglite(dir)
  t.teardown(async () => { await lite.close(); await rm(dir, { recursive: true, force: true }) })
  const out: [string, Database][] = [['pglite', lite]]
  if (process.env.DATABASE_URL) {
    const pg = await openPostgres(await createPostgresDatabase(t))
    t.teardown(() => pg.close())
    out.push(['postgres', pg])
  }
  return out
}

t.test('COPY CSV in, COPY TEXT out: every string comes back', async (t) => {
  for (const [name, db] of await backends(t)) {
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 20 }), async (rows) => {
      const back = await roundTrip(db, rows)
      if (JSON.stringify(back) !== JSON.stringify(rows)) throw new Error(`${name}: ${JSON.stringify(rows)} came back as ${JSON.stringify(back)}`)
    }), { numRuns: 60 })
    t.pass(`${name}: 60 random tables round-trip`)
  }
})

t.test('one row in many chunks, longer than a PGlite slice: a bytea as hex comes back whole', async (t) => {
  // copyCsv takes chunks, not rows: PGlite's slices must still end at a row's end (a long field in slices).
  const bytes = new Uint8Array(5 * 2 ** 20)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff
  for (const [name, db] of await backends(t)) {
    await db.query('CREATE TABLE blobs (id int PRIMARY KEY, bytes bytea NOT NULL)')
    async function* row(): AsyncGenerator<string> {
      yield '1,\\x'
      for (let at = 0; at < bytes.length; at += 2 ** 19) yield Buffer.from(bytes.buffer, at, 2 ** 19).toString('hex')
      yield '\n2,\\x00ff\n'
    }
    await db.transaction((tx) => tx.copyCsv('blobs', ['id', 'bytes'], row()))
    const back = await db.query<{ id: number; bytes: Buffer }>('SELECT id, bytes FROM blobs ORDER BY id')
    t.equal(back.length, 2, `${name}: two rows`)
    t.ok(Buffer.compare(back[0]!.bytes, Buffer.from(bytes)) === 0, `${name}: ${bytes.length} bytes back as written`)
    t.same([...back[1]!.bytes], [0, 255], `${name}: the row after it`)
  }
})
