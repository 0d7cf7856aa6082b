// Customer-hash ranges: the unit of fan-out. A customer belongs to exactly one range of a
// partition of 0 .. 2^32, so building or merging disjoint ranges and concatenating the results
// equals doing the whole (merge.ts `finishMerge`).
import type { HashRange } from './types.ts'

/** 32-bit FNV-1a of the id's UTF-16 code units, as an unsigned integer. */
export function customerHash(id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function inRange(id: string, range: HashRange): boolean {
  const h = customerHash(id)
  return h >= range.lo && h < range.hi
}

/** `n` contiguous ranges covering 0 .. 2^32. */
export function splitRange(n: number): HashRange[] {
  const out: HashRange[] = []
  for (let i = 0; i < n; i++) out.push({ lo: Math.floor((i * 2 ** 32) / n), hi: Math.floor(((i + 1) * 2 ** 32) / n) })
  return out
}
