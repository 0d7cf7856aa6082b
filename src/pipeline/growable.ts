// Typed arrays that grow by doubling, for the feature pass's outputs and stamps.

/** A growable Float64Array / Int32Array. */
export class Growable<T extends Float64Array | Int32Array> {
  length = 0
  data: T
  private readonly make: (n: number) => T
  constructor(data: T, make: (n: number) => T) {
    this.data = data
    this.make = make
  }
  reserve(extra: number): void {
    const need = this.length + extra
    if (need <= this.data.length) return
    const next = this.make(Math.max(need, this.data.length * 2))
    next.set(this.data.subarray(0, this.length) as never)
    this.data = next
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1)
    this.data[this.length++] = v
  }
  toArray(): T {
    return this.data.slice(0, this.length) as T
  }
}

/** A copy of `a` with at least `n` elements (doubling). */
export function grow(a: Int32Array, n: number): Int32Array {
  const next = new Int32Array(Math.max(n, a.length * 2))
  next.set(a)
  return next
}

/** The same for a Float64Array. */
export function growF64(a: Float64Array, n: number): Float64Array {
  const next = new Float64Array(Math.max(n, a.length * 2))
  next.set(a)
  return next
}

export const newF64 = (n: number): Float64Array => new Float64Array(n)
export const newI32 = (n: number): Int32Array => new Int32Array(n)
