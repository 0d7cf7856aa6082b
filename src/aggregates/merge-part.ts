// The merge of one customer-hash range, gathered customer by customer (merge.ts `mergePart`
// drives it): the recipe rows, the cleaning counts, each product's first appearance, the baskets
// and the purchase days, into flat arrays.
import type { CustomerStats } from '../pipeline/customer-stats.ts'
import { RECIPES } from '../pipeline/recipes/index.ts'
import type { CustomerMerge, Merger } from './merger.ts'

const SEED = RECIPES.seed
const DEFAULT = RECIPES.default

/** The merge of one customer-hash range: everything but what needs the global reference date. */
export interface MergedPart {
  /** Customers with a cleaned row in the window, ascending. */
  customerIds: string[]
  /** Recipe rows as `Recipe.write` leaves them (reference-date columns unresolved). */
  seed: Float64Array
  default: Float64Array
  /** Latest day with a cleaned row (-Infinity when none). */
  maxDay: number
  rowsIn: number
  removed: number[]
  customersAfter: number[]
  /** Customers that were rebuilt from raw rows. */
  rebuilt: string[]
  /** Every stock code that reached rule 5, with its first appearance: customer id and order key. */
  products: { stockCode: string; customerId: string; key: number; cleaned: boolean; descriptions: Map<string, number> }[]
  /** Per customer (CSR), the products bought (purchase lines), as indices into `products`. */
  basketOffsets: Int32Array
  basketProducts: Int32Array
  /** Per customer (CSR), its purchase days and their values (the value model's input). */
  purchaseOffsets: Int32Array
  purchaseDays: Int32Array
  purchaseValues: Float64Array
}

/** A MergedPart being gathered: `add` each customer's merge in ascending id order, then `result`. */
export class PartBuilder {
  readonly removed = [0, 0, 0, 0, 0, 0]
  private readonly customersAfter = [0, 0, 0, 0, 0, 0]
  private rowsIn = 0
  private readonly seedW = SEED.featureNames.length
  private readonly defW = DEFAULT.featureNames.length
  private readonly seed: number[] = []
  private readonly def: number[] = []
  private readonly seedRow = new Float64Array(this.seedW)
  private readonly defRow = new Float64Array(this.defW)
  private readonly customerIds: string[] = []
  // By the merger's product index: the first customer to show it, its order key there, and
  // whether any customer has a cleaned row of it.
  private readonly firstCustomer: (string | undefined)[] = []
  private readonly firstKey: number[] = []
  private readonly cleaned: boolean[] = []
  private readonly basketOffsets: number[] = [0]
  // The merger's product numbers: 4 bytes a line item here, not a string reference each (at three
  // x10 datasets the baskets are 8 M items; docs/benchmarks.md, "Scaling out").
  private basketProducts = new Int32Array(1 << 12)
  private basketItems = 0
  private readonly purchaseOffsets: number[] = [0]
  private readonly purchaseDays: number[] = []
  private readonly purchaseValues: number[] = []
  private maxDay = -Infinity

  /** Rows before any customer: the guest rows (no customer id), all removed by rule 1. */
  addGuestRows(rows: number): void {
    this.rowsIn += rows
    this.removed[0]! += rows
  }

  /** One customer's merge (`codes`: the merger's product numbering). */
  add(id: string, m: CustomerMerge): void {
    this.rowsIn += m.rowsIn
    for (let r = 0; r < 6; r++) {
      this.removed[r]! += m.removed[r]!
      if (r < m.stage) this.customersAfter[r]!++
    }
    this.noteProducts(id, m)
    const s = m.stats
    if (s === null) return
    this.customerIds.push(id)
    this.addRows(s)
    if (s.maxDay > this.maxDay) this.maxDay = s.maxDay
    for (let j = 0; j < m.products.length; j++) if (m.productFlags[j]! & 2) this.addBasketItem(m.products[j]!)
    this.basketOffsets.push(this.basketItems)
    for (let i = 0; i < m.purchaseDays.length; i++) {
      this.purchaseDays.push(m.purchaseDays[i]!)
      this.purchaseValues.push(m.purchaseValues[i]!)
    }
    this.purchaseOffsets.push(this.purchaseDays.length)
  }

  private addBasketItem(product: number): void {
    if (this.basketItems === this.basketProducts.length) {
      const grown = new Int32Array(this.basketProducts.length * 2)
      grown.set(this.basketProducts)
      this.basketProducts = grown
    }
    this.basketProducts[this.basketItems++] = product
  }

  result(merger: Merger, rebuilt: string[]): MergedPart {
    const { products, at } = this.products(merger)
    const basketProducts = this.basketProducts.slice(0, this.basketItems)
    for (let x = 0; x < basketProducts.length; x++) basketProducts[x] = at[basketProducts[x]!]!
    return {
      customerIds: this.customerIds,
      seed: Float64Array.from(this.seed),
      default: Float64Array.from(this.def),
      maxDay: this.maxDay,
      rowsIn: this.rowsIn,
      removed: this.removed,
      customersAfter: this.customersAfter,
      rebuilt,
      products,
      basketOffsets: Int32Array.from(this.basketOffsets),
      basketProducts,
      purchaseOffsets: Int32Array.from(this.purchaseOffsets),
      purchaseDays: Int32Array.from(this.purchaseDays),
      purchaseValues: Float64Array.from(this.purchaseValues),
    }
  }

  private noteProducts(id: string, m: CustomerMerge): void {
    for (let j = 0; j < m.products.length; j++) {
      const g = m.products[j]!
      const flags = m.productFlags[j]!
      // Customers come in ascending order: the first one to show a product keeps it.
      if (this.firstCustomer[g] === undefined) {
        this.firstCustomer[g] = id
        this.firstKey[g] = m.productKeys[j]!
      }
      if (flags & 1) this.cleaned[g] = true
    }
  }

  /** The customer's rows of both recipes. */
  private addRows(s: CustomerStats): void {
    SEED.write(s, this.seedRow, 0)
    DEFAULT.write(s, this.defRow, 0)
    for (let j = 0; j < this.seedW; j++) this.seed.push(this.seedRow[j]!)
    for (let j = 0; j < this.defW; j++) this.def.push(this.defRow[j]!)
  }

  /** The products this part's customers showed, and each merger product's index among them (-1: none). */
  private products(merger: Merger): { products: MergedPart['products']; at: Int32Array } {
    const texts = merger.descriptions()
    const out: MergedPart['products'] = []
    const at = new Int32Array(merger.codes.length).fill(-1)
    merger.codes.forEach((stockCode, g) => {
      const customerId = this.firstCustomer[g]
      if (customerId === undefined) return
      at[g] = out.length
      out.push({ stockCode, customerId, key: this.firstKey[g]!, cleaned: this.cleaned[g] === true, descriptions: texts.get(stockCode) ?? new Map() })
    })
    return { products: out, at }
  }
}
