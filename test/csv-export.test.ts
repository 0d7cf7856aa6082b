// Member exports open in spreadsheets: a customer id crafted as a formula must arrive as text.
import t from 'tap'
import { csvCell, csvRow } from '../src/codec/csv.ts'
import fc from 'fast-check'

t.test('cells a spreadsheet would evaluate are neutralized', async (t) => {
  for (const evil of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR']) {
    const cell = csvCell(evil)
    t.notMatch(cell.replace(/^"/, ''), /^[=+\-@\t\r]/, `${JSON.stringify(evil)} → ${JSON.stringify(cell)}`)
    t.match(cell, /'/, 'prefixed with a quote')
  }
  t.equal(csvCell('12350'), '12350', 'plain ids untouched')
  t.equal(csvCell(-12.5), '-12.5', 'numbers we format stay numbers')
  t.equal(csvCell('a,b'), '"a,b"')
  t.equal(csvCell('say "hi"'), '"say ""hi"""')
  t.equal(csvRow(['x', 1, true, null]), 'x,1,true,\r\n')
})

t.test('property: no text cell ever starts a formula, and quoting round-trips', async (t) => {
  fc.assert(fc.property(fc.string(), (s) => {
    const cell = csvCell(s)
    const inner = cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell
    if (/^[=+\-@\t\r]/.test(inner)) return false
    const expected = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
    return inner === expected
  }))
  t.pass('held for 100 random strings')
})
