// Cleaning rule 2 inside one dataset, exactly: every key (customer-invoice serial, product, raw
// description, quantity; NaN equals NaN, as pandas) of the rows that passed rule 1, in one
// open-addressing table over typed arrays (build-time state only, off the JS heap).

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1)
  return (h ^ (h >>> 15)) >>> 0
}

function keyHash(invoice: number, product: number, desc: number, quantity: number): number {
  const h = mix(mix(mix(0x12345, invoice), product), desc)
  if (quantity === (quantity | 0)) return mix(h, quantity)
  if (quantity !== quantity) return mix(h, 0x7ff80000)
  f64[0] = quantity
  return mix(mix(h, u32[0]!), u32[1]!)
}

export class DuplicateKeys {
  private slots = new Int32Array(1 << 10).fill(-1)
  private entries = 0
  private eInvoice = new Int32Array(1 << 9)
  private eProduct = new Int32Array(1 << 9)
  private eDescription = new Int32Array(1 << 9)
  private eQuantity = new Float64Array(1 << 9)
  private eDay = new Int32Array(1 << 9)

  /** Bytes held. */
  bytes(): number {
    return this.slots.byteLength + this.eInvoice.byteLength * 4 + this.eQuantity.byteLength
  }

  /** Rule 2: the day of the earlier row with this key, or null (then the key is recorded). */
  firstOccurrence(invoice: number, product: number, desc: number, quantity: number, day: number): number | null {
    const h = keyHash(invoice, product, desc, quantity)
    const mask = this.slots.length - 1
    let i = h & mask
    for (;;) {
      const e = this.slots[i]!
      if (e < 0) break
      if (this.eInvoice[e] === invoice && this.eProduct[e] === product && this.eDescription[e] === desc) {
        const q = this.eQuantity[e]!
        if (q === quantity || (q !== q && quantity !== quantity)) return this.eDay[e]!
      }
      i = (i + 1) & mask
    }
    const e = this.entries++
    if (e === this.eInvoice.length) this.growEntries()
    this.eInvoice[e] = invoice
    this.eProduct[e] = product
    this.eDescription[e] = desc
    this.eQuantity[e] = quantity
    this.eDay[e] = day
    this.slots[i] = e
    if (this.entries * 2 > this.slots.length) this.rehash()
    return null
  }

  private growEntries(): void {
    const n = this.eInvoice.length * 2
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n)
      b.set(a)
      return b
    }
    this.eInvoice = i32(this.eInvoice)
    this.eProduct = i32(this.eProduct)
    this.eDescription = i32(this.eDescription)
    this.eDay = i32(this.eDay)
    const q = new Float64Array(n)
    q.set(this.eQuantity)
    this.eQuantity = q
  }

  private rehash(): void {
    const old = this.slots
    const slots = new Int32Array(old.length * 2).fill(-1)
    const mask = slots.length - 1
    for (let j = 0; j < old.length; j++) {
      const e = old[j]!
      if (e < 0) continue
      const h = keyHash(this.eInvoice[e]!, this.eProduct[e]!, this.eDescription[e]!, this.eQuantity[e]!)
      let i = h & mask
      while (slots[i]! >= 0) i = (i + 1) & mask
      slots[i] = e
    }
    this.slots = slots
  }
}
