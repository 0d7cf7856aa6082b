// Model layer: our typed-array k-means and PCA against ml-kmeans and ml-pca in the same run,
// and trainModel for both recipes (bench/kmeans.ts does the work; each measurement runs in a
// child process so its peak RSS is its own).
import { execFileSync } from 'node:child_process'
import { ROOT } from './lib/common.ts'

export async function run(): Promise<void> {
  execFileSync(process.execPath, ['bench/kmeans.ts'], { cwd: ROOT, stdio: 'inherit' })
}
