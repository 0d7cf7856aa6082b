// One customer's partial as a self-contained byte string (codec.ts's format, with a dictionary of
// only the entries the customer uses): a customer can be stored or sent on its own.
import { decodeAggregate, encodeAggregate } from './codec.ts'
import { FULL_RANGE, type AggregateDictionary, type CustomerPartial, type DayPartial } from './types.ts'

/** One customer's partial on its own, with the dictionary entries it uses (self-contained). */
export function encodeCustomer(c: CustomerPartial): Uint8Array {
  const src = c.dictionary
  const products = new Map<number, number>()
  const countries = new Map<number, number>()
  const dict: AggregateDictionary = { stockCodes: [], variants: [], countries: [] }
  const product = (p: number) => {
    let q = products.get(p)
    if (q === undefined) {
      q = dict.stockCodes.length
      products.set(p, q)
      dict.stockCodes.push(src.stockCodes[p]!)
      dict.variants.push(src.variants[p] ?? [])
    }
    return q
  }
  const country = (k: number) => {
    let q = countries.get(k)
    if (q === undefined) {
      q = dict.countries.length
      countries.set(k, q)
      dict.countries.push(src.countries[k]!)
    }
    return q
  }
  const days = c.days.map((d): DayPartial => ({
    ...d,
    countries: d.countries.map((v, i) => (i % 2 === 0 ? country(v) : v)),
    products: d.products.map((v, i) => (i % 4 === 0 ? product(v) : v)),
    variants: d.variants.map((v, i) => (i % 3 === 0 ? product(v) : v)),
  }))
  return encodeAggregate({ rowsPushed: 0, range: FULL_RANGE, guestDays: [], dictionary: dict, customers: [{ ...c, days, dictionary: dict }] })
}

export function decodeCustomer(bytes: Uint8Array): CustomerPartial {
  const a = decodeAggregate(bytes)
  if (a.customers.length !== 1) throw new Error(`codec: expected one customer, found ${a.customers.length}`)
  return a.customers[0]!
}
