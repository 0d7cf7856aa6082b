// What the body is, from its first bytes. The bytes decide; the Content-Type and Content-Encoding
// headers are hints that are only checked for contradictions (a client saying gzip and sending
// plain text gets told so instead of a confusing parse error). Text/csv on a gzip body is a
// common client slip and is accepted.
import { emptyUpload, unreadable, unsupported } from './problems.ts'

export type Container = 'gzip' | 'zip' | 'text'

export interface ContentHints {
  contentType?: string
  contentEncoding?: string
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip', 'application/gzip-compressed'])
const ZIP_TYPES = new Set([XLSX_TYPE, 'application/zip', 'application/x-zip-compressed'])

const mediaType = (h: string | undefined) => (h ?? '').split(';')[0]?.trim().toLowerCase() ?? ''

const startsWith = (head: Buffer, bytes: readonly number[]) => bytes.every((b, i) => head[i] === b)

const GZIP_MAGIC = [0x1f, 0x8b]
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06]
const OLE2_MAGIC = [0xd0, 0xcf, 0x11, 0xe0]

/** JSON is refused from the header alone (the route checks too). */
export function refuseJson(hints: ContentHints): void {
  if (/^application\/([\w.+-]*\+)?json$/.test(mediaType(hints.contentType))) {
    throw unsupported('JSON is not accepted: upload the transactions as a file (CSV, gzipped CSV or xlsx)')
  }
}

function describe(head: Buffer): string {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip data'
  if (startsWith(head, ZIP_MAGIC)) return 'a zip archive'
  return `bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`
}

/** The container of the body, from its first bytes (at least 4 unless the body is shorter). */
export function sniffContainer(head: Buffer, hints: ContentHints): Container {
  if (head.length === 0) throw emptyUpload()
  const encoding = (hints.contentEncoding ?? '').trim().toLowerCase()
  const type = mediaType(hints.contentType)
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw unsupported(`Content-Encoding "${encoding}" is not supported; send the file as is or gzip it`)
  }
  const saysGzip = encoding === 'gzip' || encoding === 'x-gzip' || GZIP_TYPES.has(type)
  if (startsWith(head, GZIP_MAGIC)) {
    if (type === XLSX_TYPE && !saysGzip) throw unreadable(`the request says xlsx (Content-Type: ${type}) but the body is gzip data, not a workbook`)
    return 'gzip'
  }
  if (saysGzip) {
    const said = encoding === 'gzip' || encoding === 'x-gzip' ? `Content-Encoding: ${encoding}` : `Content-Type: ${type}`
    throw unreadable(`the request says gzip (${said}) but the body is not gzip data: it starts with ${describe(head)}`)
  }
  if (startsWith(head, ZIP_MAGIC)) return 'zip'
  if (startsWith(head, EMPTY_ZIP_MAGIC)) throw unreadable('a zip that is not a workbook: the archive is empty')
  if (ZIP_TYPES.has(type)) throw unreadable(`the request says xlsx (Content-Type: ${type}) but the body is not a zip archive: it starts with ${describe(head)}`)
  return 'text'
}

/**
 * Refuses content that is clearly not CSV text, from its first bytes; `inside` says where the
 * text came from ("" or " inside the gzip stream").
 */
export function checkText(head: Buffer, inside = ''): void {
  if (head.length === 0) throw emptyUpload(`empty upload: no bytes${inside}`)
  if (startsWith(head, ZIP_MAGIC)) throw unsupported(`a zip archive${inside}: upload an xlsx workbook as is, not gzipped`)
  if (startsWith(head, GZIP_MAGIC)) throw unsupported(`gzip data${inside}: compress once`)
  if (startsWith(head, OLE2_MAGIC)) {
    throw unsupported(`a legacy .xls (or password-protected) Excel file${inside}: save it as .xlsx or CSV (UTF-8)`)
  }
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) {
    throw unsupported(`UTF-16 text${inside}: save the CSV as UTF-8`)
  }
  const nul = head.indexOf(0)
  if (nul !== -1) throw unsupported(`binary data${inside} (a NUL byte at byte ${nul}): expected CSV text, gzipped CSV or xlsx`)
  let control = 0
  for (const b of head) if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) || b === 0x7f) control++
  if (control > head.length / 100) {
    throw unsupported(`binary data${inside} (${control} control bytes in the first ${head.length}): expected CSV text, gzipped CSV or xlsx`)
  }
  let i = 0
  if (startsWith(head, [0xef, 0xbb, 0xbf])) i = 3
  while (i < head.length && (head[i] === 32 || head[i] === 9 || head[i] === 10 || head[i] === 13)) i++
  if (head[i] === 0x7b || head[i] === 0x5b) {
    throw unsupported(`JSON${inside} is not accepted: upload the transactions as CSV, gzipped CSV or xlsx`)
  }
}
