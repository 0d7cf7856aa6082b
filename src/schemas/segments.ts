import { Type } from 'typebox'

const Stats = Type.Object({ mean: Type.Union([Type.Number(), Type.Null()]), median: Type.Union([Type.Number(), Type.Null()]), p25: Type.Union([Type.Number(), Type.Null()]), p75: Type.Union([Type.Number(), Type.Null()]) })
export const SegmentSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    size: Type.Integer(),
    share: Type.Number(),
    profile: Type.Record(Type.String(), Stats),
    topProducts: Type.Array(Type.Object({ stockCode: Type.String(), description: Type.String(), buyers: Type.Integer() })),
    value: Type.Optional(Type.Union([
      Type.Object({
        customers: Type.Integer({ description: 'Members with a purchase day up to asOf' }),
        totalClv: Type.Number(),
        medianClv: Type.Union([Type.Number(), Type.Null()]),
        meanPAlive: Type.Union([Type.Number(), Type.Null()]),
        shareAtRisk: Type.Union([Type.Number(), Type.Null()], { description: 'Share with churn risk "high" (P(alive) < 0.3)' }),
        rfmGroups: Type.Record(Type.String(), Type.Number(), { description: 'Share of members per RFM group' }),
        clvDeciles: Type.Array(Type.Number()),
        pAliveDeciles: Type.Array(Type.Number()),
      }),
      Type.Null(),
    ], { description: 'Value aggregates at the default horizon (365 days) and discount rate (0.1); null for a version without a value model' })),
  },
  { $id: 'Segment' },
)
