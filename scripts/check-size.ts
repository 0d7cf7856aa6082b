// Size limits of src/ (issue 13): no file over 400 lines, no function over 80 lines (from its
// first line to its last, comments and blank lines counted), src/generated excluded.
// node scripts/check-size.ts  → prints the offenders, exits 1 if there are any.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

export const MAX_FILE_LINES = 400
export const MAX_FUNCTION_LINES = 80

export interface Offender { file: string; name: string; lines: number }

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) { if (p !== path.join('src', 'generated') && !p.endsWith(`${path.sep}generated`)) yield* tsFiles(p) } else if (e.name.endsWith('.ts')) yield p
  }
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as { name?: ts.Node }
  if (named.name) return named.name.getText(sf)
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(sf)
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
  return `(anonymous at line ${line})`
}

/** The files and functions of `root` (relative paths) over the limits. */
export function offenders(root = 'src'): Offender[] {
  const out: Offender[] = []
  for (const file of tsFiles(root)) {
    const text = readFileSync(file, 'utf8')
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const fileLines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (fileLines > MAX_FILE_LINES) out.push({ file, name: '(file)', lines: fileLines })
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line
        if (end - start + 1 > MAX_FUNCTION_LINES) out.push({ file, name: nameOf(node, sf), lines: end - start + 1 })
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return out
}

if (import.meta.main) {
  const found = offenders()
  for (const o of found) console.log(`${o.file}\t${o.name}\t${o.lines}`)
  process.exitCode = found.length > 0 ? 1 : 0
}
