// The report's plain-language recommendation: keep the model, watch, or retrain, naming the
// drifted features by group (monetary, frequency, recency, …).
import type { DriftReport } from './report-types.ts'
import type { ReconstructionShift, SegmentShift } from './model-shift.ts'

const GROUPS: [string, RegExp][] = [
  ['cancellation', /cancel/i],
  ['monetary', /spend|monetary|value|price|revenue|amount/i],
  ['shopping-time', /hour|weekday|day_of_week/i],
  ['recency', /recency|since_last|tenure/i],
  ['frequency', /frequen|transaction|invoice|purchase|product|gap|between/i],
  ['country', /(^|_)uk($|_)|country/i],
]

/** Plain-language group of a feature name (monetary, frequency, recency, …; 'other' if unknown). */
export function featureGroup(name: string): string {
  for (const [group, re] of GROUPS) if (re.test(name)) return group
  return 'other'
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function listNames(names: string[], max = 4): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, …`
}

/** Groups of the names, the largest first (ties in order of appearance), and the names in that order. */
function byGroup(names: string[]): { groups: string[]; names: string[] } {
  const members = new Map<string, string[]>()
  for (const n of names) {
    const g = featureGroup(n)
    members.set(g, [...(members.get(g) ?? []), n])
  }
  const groups = [...members.keys()].sort((a, b) => members.get(b)!.length - members.get(a)!.length)
  return { groups, names: groups.flatMap((g) => members.get(g)!) }
}

/** "Monetary and frequency features drifted (Total_Spend, …; 3 of 15 features" */
function driftedPhrase(drifted: string[], of: number): string {
  const { groups, names } = byGroup(drifted)
  const known = groups.filter((g) => g !== 'other')
  const subject = known.length === 0 ? 'Some features' : `${capitalise(joinWords(known))}${groups.includes('other') ? ' and other' : ''} features`
  return `${subject} drifted (${listNames(names)}; ${drifted.length} of ${of} features`
}

/**
 * One plain-language sentence for the report: keep the model, watch, or retrain. Retraining is
 * recommended when the dataset drifts, when segment shares shifted, or when the mean
 * reconstruction error left the training range.
 */
export function recommendation(
  report: DriftReport,
  extras: { segments?: SegmentShift; reconstruction?: ReconstructionShift } = {},
): string {
  const drifted = report.driftedFeatures
  const segments = extras.segments?.shifted === true
  const reconstruction = extras.reconstruction?.outside === true
  if (report.datasetDrift || segments || reconstruction) {
    const reasons: string[] = []
    if (drifted.length > 0) reasons.push(`${driftedPhrase(drifted, report.numberOfFeatures)})`)
    if (segments) reasons.push(`segment shares shifted (Jensen-Shannon ${extras.segments!.jsDistance.toFixed(2)})`)
    if (reconstruction) reasons.push('new customers fit the model worse than the training customers did')
    const sentence = reasons.map((r, i) => (i === 0 ? capitalise(r) : r.charAt(0).toLowerCase() + r.slice(1)))
    return `${joinWords(sentence)}: retrain on recent data.`
  }
  if (drifted.length > 0) {
    const pct = Math.round(report.driftShareThreshold * 100)
    return `${driftedPhrase(drifted, report.numberOfFeatures)}, under the ${pct} % dataset-drift share): keep the model, watch these features and retrain if the drift spreads.`
  }
  const psiHigh = report.features.filter((f) => f.psiBand === 'significant').map((f) => f.feature)
  if (psiHigh.length > 0) {
    return `No drift by the default tests, but PSI is significant for ${listNames(psiHigh)}: keep the model and watch these features.`
  }
  return 'No drift: keep the model.'
}
