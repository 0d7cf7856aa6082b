// Every link in the README and docs/, and every `docs/…` or `README` file a source comment cites,
// resolves to a file of the repo (and a `#fragment` to a heading of it), so a moved or renamed
// document breaks the suite instead of a reader's trail.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

const ROOT = resolve(import.meta.dirname, '..')

function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((f) => !f.includes('node_modules') && !f.includes('generated'))
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  for (const m of markdown.matchAll(/^#{1,6} +(.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'))
  }
  return out
}

const docs = ['README.md', ...files('docs', (n) => n.endsWith('.md')), ...files('test/fixtures', (n) => n.endsWith('.md'))]

t.test('links in the README and docs/ resolve', async (t) => {
  let links = 0
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8')
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!
      if (/^(https?:|mailto:)/.test(target)) continue
      links++
      const [path, fragment] = target.split('#') as [string, string | undefined]
      const file = path === '' ? join(ROOT, doc) : resolve(ROOT, dirname(doc), path)
      t.ok(existsSync(file), `${doc}: ${target} exists`)
      if (fragment && file.endsWith('.md') && existsSync(file)) {
        t.ok(anchors(readFileSync(file, 'utf8')).has(fragment), `${doc}: #${fragment} is a heading of ${path || doc}`)
      }
    }
  }
  t.ok(links > 5, `${links} links checked`)
})

t.test('documents cited in source comments exist', async (t) => {
  const sources = [...files('src', (n) => n.endsWith('.ts')), ...files('test', (n) => n.endsWith('.ts')), ...files('bench', (n) => n.endsWith('.ts')), ...files('scripts', (n) => /\.(ts|mjs)$/.test(n)), ...files('web/src', (n) => n.endsWith('.ts'))]
  let cited = 0
  for (const source of sources) {
    const text = readFileSync(join(ROOT, source), 'utf8')
    for (const m of text.matchAll(/\b((?:docs|test\/fixtures)\/[\w./-]+\.md)\b/g)) {
      cited++
      t.ok(existsSync(join(ROOT, m[1]!)), `${source} cites ${m[1]}`)
    }
  }
  t.ok(cited > 0, `${cited} citations checked`)
})
