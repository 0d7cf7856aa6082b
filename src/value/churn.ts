// Churn-risk band from P(alive). The cut-offs are round numbers a marketer can read, not fitted:
// high risk below 0.3 (the model thinks the customer is more likely gone than not, by a clear
// margin), low risk from 0.7, medium between. A customer with no repeat purchase has P(alive) = 1
// in the BG/NBD (it cannot have dropped out before its first repeat), so it is "low" by
// construction: the summary's T and x tell its story better than this band does.

export type ChurnRisk = 'low' | 'medium' | 'high'

export interface ChurnBands {
  /** P(alive) below this is high risk (default 0.3). */
  high?: number
  /** P(alive) at or above this is low risk (default 0.7). */
  low?: number
}

export const DEFAULT_CHURN_BANDS = { high: 0.3, low: 0.7 } as const

export function churnRisk(pAlive: number, bands: ChurnBands = {}): ChurnRisk {
  const high = bands.high ?? DEFAULT_CHURN_BANDS.high
  const low = bands.low ?? DEFAULT_CHURN_BANDS.low
  if (!(high <= low)) throw new RangeError('churn bands: need high ≤ low')
  if (!(pAlive >= 0 && pAlive <= 1)) throw new RangeError(`pAlive = ${pAlive}: need a probability`)
  if (pAlive < high) return 'high'
  if (pAlive >= low) return 'low'
  return 'medium'
}
