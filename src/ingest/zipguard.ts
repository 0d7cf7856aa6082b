// A guard in front of exceljs: it walks the zip's local entries as the bytes stream past, inflates
// each one on the side just to count it, and fails the upload as soon as an entry inflates past a
// limit. exceljs (through unzipper) would otherwise inflate whatever it is given, spool worksheets
// that precede the shared strings to temporary files, and keep all shared strings in memory.
//
// Each chunk is passed on only after its own inflation has been counted, so exceljs never gets
// ahead of the guard. The entry boundaries follow unzipper's rules (sizes from the local header,
// or a scan for the data-descriptor signature when the header says "sizes follow"), so both see
// the same entries. The cost is a second inflate of the workbook, on zlib's thread pool.
//
// It also checks what unzipper does not: each entry's CRC-32 (a corrupt deflate stream often
// inflates to garbage without an error), and that the archive ends with its end record.
//
// Limits: the total inflated size (maxInflatedBytes); the per-entry ratio (see meter.ts);
// xl/sharedStrings.xml (held in memory by exceljs) and the other parsed-in-memory parts; the
// number of entries; and the longest run of XML between two '<' (text nodes, tags), which bounds
// what any XML parser downstream has to buffer.
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib'
import { bomb, bytesText, MiB, unreadable } from './problems.ts'
import { MAX_RATIO, RATIO_AFTER } from './meter.ts'

export interface ZipLimits {
  /** Sum of the inflated sizes of all entries. */
  maxInflated: number
  /** Inflated size of xl/sharedStrings.xml. */
  maxSharedStrings: number
}

/** Inflated size of the other parts exceljs parses into memory (workbook.xml, relationships). */
export const MAX_METADATA_PART = 16 * MiB
export const MAX_ENTRIES = 10_000
/** Excel caps a cell at 32,767 characters; a megabyte between tags is not a spreadsheet. */
export const MAX_XML_RUN = MiB

const LOCAL = 0x04034b50
const CENTRAL = 0x02014b50
const END = 0x06054b50
const ZIP64_END = 0x06064b50
const DESCRIPTOR = 0x08074b50
const DESCRIPTOR_SIG = Buffer.from([0x50, 0x4b, 0x07, 0x08])
const END_SIG = Buffer.from([0x50, 0x4b, 0x05, 0x06])
const EMPTY = Buffer.alloc(0)

type State = 'signature' | 'local' | 'names' | 'data' | 'descriptor' | 'tail'

interface Entry {
  name: string
  /** Compressed bytes left, or -1 when the size follows the data (data descriptor). */
  remaining: number
  compressed: number
  inflated: number
  cap: number
  xml: boolean
  /** Bytes since the last '<' in the inflated XML. */
  run: number
  inflater: InflateRaw | null
  /** CRC-32 of the inflated bytes so far, and the one the header promises (null: in the descriptor). */
  crc: number
  expectedCrc: number | null
}

interface LocalHeader {
  flags: number
  crc: number
  method: number
  compressedSize: number
  nameLength: number
  extraLength: number
}

export class ZipGuard {
  /** Entry names in archive order (for messages: "a zip that is not a workbook"). */
  readonly names: string[] = []
  private state: State = 'signature'
  private need = 4
  private stash = EMPTY
  private offset = 0
  private header: LocalHeader | null = null
  private entry: Entry | null = null
  private total = 0
  private failure: Error | null = null
  /** The entry whose CRC-32 is in the data descriptor being read. */
  private described: Entry | null = null
  private sawEnd = false

  private readonly limits: ZipLimits
  constructor(limits: ZipLimits) {
    this.limits = limits
  }

  /**
   * Passes `source` through, each chunk once it has been inspected. The next chunk's inspection
   * runs while the consumer handles the previous one, so the two inflates overlap.
   */
  async *run(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let inspected: Buffer | null = null
    try {
      for await (const chunk of source) {
        const inspecting = this.inspect(chunk)
        inspecting.catch(() => undefined) // awaited below; not unhandled meanwhile
        if (inspected) yield inspected
        await inspecting
        inspected = chunk
      }
      if (inspected) yield inspected
      if (this.state !== 'tail' || !this.sawEnd) {
        const where = this.entry ? `inside the entry ${this.entry.name}` : this.state === 'tail' ? 'inside its central directory' : 'before its central directory'
        throw unreadable(`truncated or corrupt zip: it ends ${where}`)
      }
    } finally {
      this.entry?.inflater?.destroy()
    }
  }

  private async inspect(chunk: Buffer): Promise<void> {
    const buf = this.stash.length > 0 ? Buffer.concat([this.stash, chunk]) : chunk
    const base = this.offset - this.stash.length
    this.offset += chunk.length
    this.stash = EMPTY
    let pos = 0
    while (pos < buf.length) {
      if (this.state === 'tail') {
        // The central directory is not inspected, only its end record looked for (a signature
        // split across chunks is found in the stash next time).
        this.sawEnd ||= buf.includes(END_SIG, pos)
        if (!this.sawEnd) this.stash = Buffer.from(buf.subarray(Math.max(pos, buf.length - 3)))
        return
      }
      if (this.state === 'data') {
        pos = await this.data(buf, pos)
      } else if (buf.length - pos < this.need) {
        this.stash = Buffer.from(buf.subarray(pos))
        return
      } else {
        pos = await this.part(buf, pos, base + pos)
      }
    }
  }

  /** Consumes the fixed-size part the state waits for; returns the new position. */
  private async part(buf: Buffer, pos: number, at: number): Promise<number> {
    const end = pos + this.need
    switch (this.state) {
      case 'signature': {
        const sig = buf.readUInt32LE(pos)
        if (sig === LOCAL) this.expect('local', 26)
        else if (sig === CENTRAL || sig === END || sig === ZIP64_END) this.state = 'tail'
        else if (sig === DESCRIPTOR) this.expect('descriptor', 12)
        else throw unreadable(`corrupt zip: unexpected bytes at offset ${at} where an entry should start`)
        return end
      }
      case 'local':
        this.header = {
          flags: buf.readUInt16LE(pos + 2),
          crc: buf.readUInt32LE(pos + 10),
          method: buf.readUInt16LE(pos + 4),
          compressedSize: buf.readUInt32LE(pos + 14),
          nameLength: buf.readUInt16LE(pos + 22),
          extraLength: buf.readUInt16LE(pos + 24),
        }
        this.expect('names', this.header.nameLength + this.header.extraLength)
        return end
      case 'names':
        await this.open(buf.subarray(pos, end), this.header as LocalHeader)
        return end
      default: {
        // A data descriptor, with (16 bytes) or without (12) its signature: CRC-32 first.
        const entry = this.described
        this.described = null
        if (entry && entry.crc !== buf.readUInt32LE(end - 12)) throw crcMismatch(entry)
        this.expect('signature', 4)
        return end
      }
    }
  }

  private expect(state: State, need: number): void {
    this.state = state
    this.need = need
  }

  private async open(names: Buffer, h: LocalHeader): Promise<void> {
    const name = names.toString('utf8', 0, h.nameLength)
    this.names.push(name)
    if (this.names.length > MAX_ENTRIES) throw unreadable(`a zip with more than ${MAX_ENTRIES} entries is not a workbook`)
    if (h.flags & 1) throw unreadable(`the workbook is encrypted (entry ${name}); remove the password and upload it again`)
    if (h.method !== 0 && h.method !== 8) throw unreadable(`zip entry ${name} uses compression method ${h.method}; only deflate is supported`)
    let compressedSize = h.compressedSize
    if (compressedSize === 0xffffffff) compressedSize = zip64CompressedSize(names.subarray(h.nameLength)) ?? compressedSize
    const known = !(h.flags & 8) || compressedSize > 0
    const cap = name === 'xl/sharedStrings.xml' ? this.limits.maxSharedStrings : /^xl\/workbook\.xml$|\.rels$/.test(name) ? MAX_METADATA_PART : Infinity
    const entry: Entry = {
      name,
      remaining: known ? compressedSize : -1,
      compressed: 0,
      inflated: 0,
      cap,
      xml: /\.(xml|rels)$/i.test(name),
      run: 0,
      inflater: h.method === 8 ? createInflateRaw() : null,
      crc: 0,
      expectedCrc: h.flags & 8 ? null : h.crc,
    }
    entry.inflater?.on('data', (out: Buffer) => {
      if (this.failure) return
      try {
        this.count(entry, out)
      } catch (err) {
        this.failure = err as Error
        entry.inflater?.destroy()
      }
    })
    entry.inflater?.on('error', (err) => {
      this.failure ??= unreadable(`corrupt zip: entry ${name} does not inflate (${err.message})`)
    })
    this.entry = entry
    this.state = 'data'
    if (entry.remaining === 0) await this.close()
  }

  /** Feeds entry data from `buf` at `pos`; returns the new position. */
  private async data(buf: Buffer, pos: number): Promise<number> {
    const entry = this.entry as Entry
    if (entry.remaining >= 0) {
      const n = Math.min(entry.remaining, buf.length - pos)
      await this.feed(entry, buf.subarray(pos, pos + n))
      entry.remaining -= n
      if (entry.remaining === 0) await this.close()
      return pos + n
    }
    // Size unknown: the data ends at the first data-descriptor signature, as unzipper reads it.
    // The last three bytes may be the start of a signature split across chunks: keep them back.
    const sig = buf.indexOf(DESCRIPTOR_SIG, pos)
    if (sig === -1) {
      const upTo = Math.max(pos, buf.length - 3)
      await this.feed(entry, buf.subarray(pos, upTo))
      this.stash = Buffer.from(buf.subarray(upTo))
      return buf.length
    }
    await this.feed(entry, buf.subarray(pos, sig))
    await this.close()
    this.expect('descriptor', 16)
    return sig
  }

  private async feed(entry: Entry, data: Buffer): Promise<void> {
    if (data.length === 0) return
    entry.compressed += data.length
    const inflater = entry.inflater
    if (!inflater) {
      this.count(entry, data)
      return
    }
    await new Promise<void>((resolve) => {
      inflater.once('close', resolve)
      inflater.write(data, () => {
        inflater.off('close', resolve)
        resolve()
      })
    })
    if (this.failure) throw this.failure
  }

  /** Ends the current entry once all its output is counted. */
  private async close(): Promise<void> {
    const entry = this.entry as Entry
    const inflater = entry.inflater
    if (inflater && !inflater.destroyed) {
      await new Promise<void>((resolve) => {
        inflater.once('end', resolve)
        inflater.once('close', resolve)
        inflater.end()
      })
    }
    if (this.failure) throw this.failure
    if (entry.expectedCrc === null) this.described = entry
    else if (entry.crc !== entry.expectedCrc) throw crcMismatch(entry)
    this.entry = null
    this.expect('signature', 4)
  }

  private count(entry: Entry, out: Buffer): void {
    entry.crc = crc32(out, entry.crc)
    entry.inflated += out.length
    this.total += out.length
    if (this.total > this.limits.maxInflated) {
      throw bomb('the workbook', `inflates to more than ${bytesText(this.limits.maxInflated)} (the limit is ${this.limits.maxInflated} bytes)`)
    }
    if (entry.inflated > entry.cap) {
      throw bomb(`the workbook part ${entry.name}`, `inflates to more than ${bytesText(entry.cap)}, the most that is read into memory`)
    }
    // zlib's bytesWritten is the compressed input it has consumed, which is exact even when one
    // write hands it the whole entry.
    const compressed = entry.inflater ? entry.inflater.bytesWritten : entry.compressed
    if (entry.inflated > RATIO_AFTER && entry.inflated > compressed * MAX_RATIO) {
      throw bomb(`the workbook part ${entry.name}`, `inflates more than ${MAX_RATIO}:1 (${bytesText(entry.inflated)} from ${bytesText(compressed)})`)
    }
    if (entry.xml) {
      // Two native scans per chunk: exact for runs longer than a chunk, which are the ones at risk.
      const first = out.indexOf(60)
      if (first === -1) {
        entry.run += out.length
      } else {
        entry.run += first
        if (entry.run <= MAX_XML_RUN) entry.run = out.length - 1 - out.lastIndexOf(60)
      }
      if (entry.run > MAX_XML_RUN) {
        throw unreadable(`the workbook part ${entry.name} has more than ${bytesText(MAX_XML_RUN)} of text without markup; not a spreadsheet`)
      }
    }
  }
}

const crcMismatch = (entry: Entry) => unreadable(`corrupt zip: the entry ${entry.name} fails its CRC-32 check`)

/** The compressed size from a ZIP64 extended-information extra field, if there is one. */
function zip64CompressedSize(extra: Buffer): number | undefined {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i)
    const size = extra.readUInt16LE(i + 2)
    if (id === 0x0001 && size >= 16 && i + 20 <= extra.length) return Number(extra.readBigUInt64LE(i + 12))
    i += 4 + size
  }
  return undefined
}
