// npm run bench -- <name> [options]: runs bench/<name>.ts. Each benchmark prints its figures and
// the ratio to a baseline measured in the same run; docs/benchmarks.md records them.
const BENCHES = ['ingest', 'train', 'predict', 'drift', 'models', 'load', 'scale', 'overhead', 'value-fit', 'jobs'] as const
const [name, ...args] = process.argv.slice(2)
const names = name === undefined || name === 'all' ? BENCHES : [name]
for (const n of names) {
  if (!(BENCHES as readonly string[]).includes(n)) {
    console.error(`unknown benchmark ${n}; one of: ${BENCHES.join(', ')}, all`)
    process.exit(2)
  }
  console.log(`\n## ${n}\n`)
  const mod = (await import(`./${n}.ts`)) as { run(args: string[]): Promise<void> }
  await mod.run(args)
}
