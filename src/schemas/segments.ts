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
  },
  { $id: 'Segment' },
)
