// The server is started the same way everywhere (src/process-settings.ts): npm start, the image,
// the image check and the benchmarks. A setting changed in one place and not the others would
// make the benchmarks measure a process nobody runs.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { SERVER_ENV, SERVER_NODE_ARGS } from '../src/process-settings.ts'

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
const envText = Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')
const args = SERVER_NODE_ARGS.join(' ')

t.test('npm start', async (t) => {
  const start = JSON.parse(read('package.json')).scripts.start as string
  t.equal(start, `${envText} node ${args} src/server.ts`)
})

t.test('the Dockerfile: ENV and CMD', async (t) => {
  const dockerfile = read('Dockerfile')
  t.match(dockerfile, envText, 'ENV carries the malloc settings')
  t.match(dockerfile, `CMD ${JSON.stringify(['node', ...SERVER_NODE_ARGS, 'src/server.ts']).replace(/,/g, ', ')}`)
})

t.test('the image check runs the server as the image does', async (t) => {
  const script = read('scripts/image-check.sh')
  t.match(script, envText)
  t.match(script, `"$node_bin" ${args} src/server.ts`)
})

t.test('the benchmarks start the server with the same settings', async (t) => {
  for (const file of ['bench/lib/common.ts', 'bench/overhead.ts']) {
    const text = read(file)
    t.match(text, 'SERVER_ENV', `${file} uses SERVER_ENV`)
    t.match(text, 'SERVER_NODE_ARGS', `${file} uses SERVER_NODE_ARGS`)
  }
})
