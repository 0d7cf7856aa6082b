// Pure parsers for the cell values of an upload. They run once per cell on half a million rows,
// so they scan character codes instead of using regular expressions or allocating, and signal a
// bad value with NaN (or null) rather than an exception: a bad row is data, not an error.
//
// Decisions (documented in upload.ts as well):
// - Quantity is an integer; "6.0" (a float column written by pandas) is accepted as 6.
// - Prices are plain decimals with a dot ("2.55", "-11062.06", ".5", "1e-3"). "1,234.5" and
//   "2,55" are refused: a comma is a thousands separator in one locale and the decimal mark in
//   another, and guessing would silently scale prices by 1000.
// - Dates carry no time zone. They become the epoch milliseconds of the wall-clock time read as
//   UTC, to the second (Excel stores times as fractions of a day; rounding removes the noise).

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 160

function firstNonSpace(s: string): number {
  let i = 0
  while (i < s.length && isSpace(s.charCodeAt(i))) i++
  return i
}

function endNonSpace(s: string, from: number): number {
  let end = s.length
  while (end > from && isSpace(s.charCodeAt(end - 1))) end--
  return end
}

/** An integer ("6", "-12", "+3", "6.0"); NaN for anything else, empty included. */
export function parseInteger(s: string): number {
  let i = firstNonSpace(s)
  const end = endNonSpace(s, i)
  if (i === end) return NaN
  let c = s.charCodeAt(i)
  const negative = c === 45
  if (negative || c === 43) i++
  let n = 0
  const digitsFrom = i
  while (i < end) {
    c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
    i++
  }
  if (i === digitsFrom || i - digitsFrom > 15) return NaN
  if (i < end) {
    if (s.charCodeAt(i) !== 46) return NaN
    for (i++; i < end; i++) if (s.charCodeAt(i) !== 48) return NaN
  }
  return negative && n !== 0 ? -n : n
}

/** A plain decimal number with a dot and an optional exponent; NaN for anything else. */
export function parseDecimal(s: string): number {
  let i = firstNonSpace(s)
  const end = endNonSpace(s, i)
  if (i === end) return NaN
  let c = s.charCodeAt(i)
  const negative = c === 45
  if (negative || c === 43) i++
  let mantissa = 0
  let digits = 0
  let decimals = 0
  while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48)
    digits++
    i++
  }
  if (i < end && s.charCodeAt(i) === 46) {
    i++
    while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48)
      digits++
      decimals++
      i++
    }
  }
  if (digits === 0) return NaN
  if (i === end && digits <= 15) {
    // Both operands are exact doubles, so the division is the correctly rounded value, the same
    // double Number(s) gives, without going through the string conversion.
    const value = mantissa / POWERS_OF_TEN[decimals]!
    return negative && value !== 0 ? -value : value
  }
  if (i < end && (s.charCodeAt(i) | 32) === 101) {
    i++
    if (i < end && ((c = s.charCodeAt(i)) === 45 || c === 43)) i++
    const expFrom = i
    while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++
    if (i === expFrom) return NaN
  }
  if (i !== end) return NaN
  // Validated text: Number() only does the conversion.
  const n = Number(s)
  return Number.isFinite(n) ? n + 0 : NaN // + 0 turns -0 into 0
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k)

// Date parsing shares one cursor instead of returning tuples, to avoid an allocation per cell.
let cur = 0

function digitsAt(s: string, end: number, min: number, max: number): number {
  let n = 0
  const from = cur
  while (cur < end && cur - from < max) {
    const c = s.charCodeAt(cur)
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
    cur++
  }
  return cur - from < min ? -1 : n
}

function expect(s: string, code: number): boolean {
  if (s.charCodeAt(cur) !== code) return false
  cur++
  return true
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return false
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  return d <= (DAYS_IN_MONTH[m - 1] as number) + (leap ? 1 : 0)
}

/**
 * A date and time as written in a file, to epoch ms of that wall-clock time read as UTC; NaN when
 * it is not one. Accepted:
 * - `2010-12-01 08:26:00`, `2010-12-01 08:26`, `2010-12-01T08:26:00(.000)(Z)`, `2010-12-01`,
 *   and the same with slashes (`2010/12/01 08:26`)
 * - US month-first `12/1/2010 8:26`, with optional seconds and AM/PM, and two-digit years
 *   (`12/1/10 8:26`, as Excel writes CSV in a US locale; 00-69 → 20xx, 70-99 → 19xx)
 * - a bare number, read as an Excel serial date (1900 system), as in CSV exported from a sheet
 *   whose date column was formatted as a number.
 */
export function parseDateText(s: string): number {
  return readDateText(s, false, false)
}

/** What the last readDateText call saw: its style and, for a slash date, its two first parts. */
export const dateSeen = { style: 0, a: 0, b: 0 }
/** Styles of dateSeen.style. */
export const DateStyle = { None: 0, Iso: 1, Slash: 2, Dotted: 3, Serial: 4 } as const

/**
 * parseDateText with the slash order chosen (`dayFirst`) and dotted `dd.mm.yyyy` dates accepted
 * when `dotted`; sets dateSeen. The decision between orders is made by the caller (reading.ts).
 */
export function readDateText(s: string, dayFirst: boolean, dotted: boolean): number {
  // Consecutive lines of an invoice share its timestamp: remember the last one.
  if (s === lastDateText && dayFirst === lastDayFirst && dotted === lastDotted) {
    dateSeen.style = lastSeen.style
    dateSeen.a = lastSeen.a
    dateSeen.b = lastSeen.b
    return lastDateValue
  }
  dateSeen.style = DateStyle.None
  const value = parseDate(s, dayFirst, dotted)
  lastDateText = s
  lastDayFirst = dayFirst
  lastDotted = dotted
  lastDateValue = value
  lastSeen.style = dateSeen.style
  lastSeen.a = dateSeen.a
  lastSeen.b = dateSeen.b
  return value
}

let lastDateText = ''
let lastDayFirst = false
let lastDotted = false
let lastDateValue = NaN
const lastSeen = { style: 0, a: 0, b: 0 }

// The calendar day a date part read (shared like `cur`: no tuple per cell).
let dateY = 0
let dateM = 0
let dateD = 0

function parseDate(s: string, dayFirst: boolean, dotted: boolean): number {
  cur = firstNonSpace(s)
  const end = endNonSpace(s, cur)
  if (cur === end) return NaN
  const start = cur
  const a = digitsAt(s, end, 1, 4)
  if (a < 0) return NaN
  const sep = s.charCodeAt(cur)
  const lead = cur - start
  let ok: boolean
  if (lead === 4 && (sep === 45 || sep === 47)) ok = isoDay(s, end, a, sep)
  else if (dotted && lead <= 2 && sep === 46 && isDotted(s, cur + 1, end)) ok = dottedDay(s, end, a)
  else if (lead <= 2 && sep === 47) ok = slashDay(s, end, a, dayFirst)
  else return serialDate(s)
  if (!ok || !validDate(dateY, dateM, dateD)) return NaN
  const time = cur < end ? timeOfDay(s, end) : 0
  return Number.isNaN(time) ? NaN : Date.UTC(dateY, dateM - 1, dateD) + time
}

/** `yyyy-mm-dd` or `yyyy/mm/dd` after its year `y`, the cursor on the separator. */
function isoDay(s: string, end: number, y: number, sep: number): boolean {
  cur++
  dateY = y
  dateM = digitsAt(s, end, 1, 2)
  if (dateM < 0 || !expect(s, sep)) return false
  dateD = digitsAt(s, end, 1, 2)
  dateSeen.style = DateStyle.Iso
  return true
}

/** `dd.mm.yyyy` after its day `d`, the cursor on the first dot. */
function dottedDay(s: string, end: number, d: number): boolean {
  cur++
  dateD = d
  dateM = digitsAt(s, end, 1, 2)
  if (dateM < 0 || !expect(s, 46)) return false
  dateY = digitsAt(s, end, 4, 4)
  if (dateY < 0) return false
  dateSeen.style = DateStyle.Dotted
  return true
}

/** `a/b/yy(yy)` after its first part `a`, month first unless `dayFirst`; sets dateSeen's parts. */
function slashDay(s: string, end: number, a: number, dayFirst: boolean): boolean {
  cur++
  const b = digitsAt(s, end, 1, 2)
  if (b < 0 || !expect(s, 47)) return false
  dateSeen.style = DateStyle.Slash
  dateSeen.a = a
  dateSeen.b = b
  dateM = dayFirst ? b : a
  dateD = dayFirst ? a : b
  const yearFrom = cur
  let y = digitsAt(s, end, 2, 4)
  if (y < 0) return false
  const yearDigits = cur - yearFrom
  if (yearDigits === 2) y += y < 70 ? 2000 : 1900
  else if (yearDigits !== 4) return false
  dateY = y
  return true
}

/** A bare number: an Excel serial date (1900 system). */
function serialDate(s: string): number {
  const serial = parseDecimal(s)
  if (!Number.isNaN(serial)) dateSeen.style = DateStyle.Serial
  return Number.isNaN(serial) ? NaN : excelSerialToMs(serial, false)
}

/**
 * The time after a date (the cursor on the ' ' or 'T' before it) as ms since midnight: hh:mm,
 * optional :ss and .fff (digits beyond ms ignored), AM/PM or a trailing Z; NaN when malformed.
 */
function timeOfDay(s: string, end: number): number {
  const t = s.charCodeAt(cur)
  if (t !== 32 && t !== 84) return NaN // ' ' or 'T'
  cur++
  while (cur < end && s.charCodeAt(cur) === 32) cur++
  let hh = digitsAt(s, end, 1, 2)
  if (hh < 0 || !expect(s, 58)) return NaN
  const mm = digitsAt(s, end, 2, 2)
  if (mm < 0) return NaN
  let ss = 0
  let ms = 0
  if (cur < end && s.charCodeAt(cur) === 58) {
    cur++
    ss = digitsAt(s, end, 2, 2)
    if (ss < 0) return NaN
    if (cur < end && s.charCodeAt(cur) === 46) {
      cur++
      const fracFrom = cur
      const frac = digitsAt(s, end, 1, 3)
      if (frac < 0) return NaN
      ms = frac * 10 ** (3 - (cur - fracFrom))
      while (cur < end && s.charCodeAt(cur) >= 48 && s.charCodeAt(cur) <= 57) cur++ // beyond ms
    }
  }
  while (cur < end && s.charCodeAt(cur) === 32) cur++
  if (cur < end) {
    const c = s.charCodeAt(cur) | 32
    if ((c === 97 || c === 112) && cur + 2 === end && (s.charCodeAt(cur + 1) | 32) === 109) {
      // 12-hour clock: 12 AM is midnight, 12 PM is noon.
      if (hh < 1 || hh > 12) return NaN
      hh = (hh % 12) + (c === 112 ? 12 : 0)
      cur = end
    } else if (c === 122 && cur + 1 === end) {
      cur = end // a trailing Z names the UTC we store anyway
    }
  }
  if (cur !== end || hh > 23 || mm > 59 || ss > 59) return NaN
  // Date.UTC(y, m, d, hh, mm, ss, ms) in parts: integers, so the sum is exact.
  return ((hh * 60 + mm) * 60 + ss) * 1000 + ms
}

/** Whether s[from..end) continues a dotted date: 1-2 digits, a dot, 4 digits. */
function isDotted(s: string, from: number, end: number): boolean {
  let i = from
  while (i < end && i - from < 2 && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
  if (i === from || s.charCodeAt(i) !== 46) return false
  const y = i + 1
  for (i = y; i < y + 4; i++) if (!(s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57)) return false
  return i === end || s.charCodeAt(i) === 32 || s.charCodeAt(i) === 84
}

/**
 * An Excel serial date to epoch ms (wall clock as UTC), rounded to the second; NaN outside
 * years 1900..9999. In the 1900 system Excel counts the non-existent 1900-02-29 as serial 60, so
 * serials below 60 are one day off from those above; 60 itself is refused.
 */
export function excelSerialToMs(serial: number, date1904: boolean): number {
  if (!Number.isFinite(serial)) return NaN
  let days: number
  if (date1904) {
    if (serial < 0) return NaN
    days = serial - 24_107
  } else {
    if (serial < 1 || (serial >= 60 && serial < 61)) return NaN
    days = serial < 60 ? serial - 25_568 : serial - 25_569
  }
  const ms = Math.round(days * 86_400) * 1000
  return ms < 253_402_300_800_000 ? ms : NaN
}

/** Trimmed text, null when empty. */
export function cleanText(s: string): string | null {
  const t = s.trim()
  return t.length === 0 ? null : t
}

/**
 * A code that must stay a string (customer id, stock code, invoice number): trimmed, null when
 * empty, and "17850.0" (a float column written by pandas or a spreadsheet) becomes "17850".
 */
export function cleanCode(s: string): string | null {
  const t = s.trim()
  if (t.length === 0) return null
  if (t.charCodeAt(t.length - 1) !== 48) return t
  const dot = t.indexOf('.')
  if (dot <= 0) return t
  for (let i = 0; i < dot; i++) {
    const c = t.charCodeAt(i)
    if (c < 48 || c > 57) return t
  }
  for (let i = dot + 1; i < t.length; i++) if (t.charCodeAt(i) !== 48) return t
  return t.slice(0, dot)
}

/** A number read from a spreadsheet cell, as the code a person would have typed. */
export function numberToCode(n: number): string {
  return String(n)
}
