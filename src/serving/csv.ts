// CSV for spreadsheets. Text cells that a spreadsheet would read as a formula (starting with
// = + - @, a tab or a carriage return) are prefixed with a quote (OWASP's CSV injection advice);
// numbers we format ourselves are written as numbers.
const FORMULA = /^[=+\-@\t\r]/

export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const safe = FORMULA.test(value) ? `'${value}` : value
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export function csvRow(cells: (string | number | boolean | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}
