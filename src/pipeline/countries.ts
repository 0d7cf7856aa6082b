// The feature pass's country accumulator: rows per country for the current customer, and its
// main country when the customer ends.

export class CountryCounter {
  private readonly index = new Map<string, number>()
  private readonly names: string[] = []
  private counts = new Int32Array(64)
  private readonly touched: number[] = []
  // The last country seen, as a fast path (a customer's rows mostly share one).
  private last: string | null = null
  private lastIndex = -1

  /** Counts one row's country (none for null or empty). */
  add(country: string | null): void {
    if (country === null || country === '') return
    let c = this.lastIndex
    if (country !== this.last) {
      c = this.index.get(country) ?? this.addCountry(country)
      this.last = country
      this.lastIndex = c
    }
    if (this.counts[c] === 0) this.touched.push(c)
    this.counts[c]!++
  }

  /** The country with the most rows since the last call (ties to the smaller name, pandas' mode()[0]), then resets. */
  takeMain(): string | null {
    let best = -1
    for (const c of this.touched) {
      const n = this.counts[c]!
      if (best < 0 || n > this.counts[best]! || (n === this.counts[best]! && this.names[c]! < this.names[best]!)) best = c
    }
    for (const c of this.touched) this.counts[c] = 0
    this.touched.length = 0
    return best < 0 ? null : this.names[best]!
  }

  private addCountry(country: string): number {
    const c = this.names.length
    this.index.set(country, c)
    this.names.push(country)
    if (c === this.counts.length) {
      const counts = new Int32Array(c * 2)
      counts.set(this.counts)
      this.counts = counts
    }
    return c
  }
}
