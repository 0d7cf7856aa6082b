// Segments over time: a customer's history, transitions between versions, movers.
import { Type } from 'typebox'
import { WindowSchema } from './models.ts'
import { RFM_GROUPS } from '../value/rfm.ts'

export const CustomerParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })
export const VersionOnly = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) })
const FromVersion = Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'The earlier version (default: the version active before this one)' }))

export const HistorySchema = Type.Object({
  customerId: Type.String(),
  versions: Type.Array(Type.Object({
    version: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    asOf: Type.Union([Type.String(), Type.Null()], { description: 'Observation end of the version, where it has one' }),
    window: Type.Union([WindowSchema, Type.Null()], { description: 'The rolling window the version was trained on; null: every day up to asOf' }),
    active: Type.Boolean(),
    segment: Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      counterpart: Type.Union([Type.Integer(), Type.Null()], { description: 'The segment of the model this version was matched to that this segment continues' }),
      newSegment: Type.Boolean({ description: 'True when this segment has no counterpart in the model it was matched to' }),
    }),
    outlier: Type.Boolean(),
    rfmGroup: Type.Union([Type.String(), Type.Null()], { description: 'RFM group in that version' }),
    clv: Type.Union([Type.Number(), Type.Null()], { description: 'CLV over the default horizon in that version' }),
    pAlive: Type.Union([Type.Number(), Type.Null()]),
  }), { description: 'Every version that assigned the customer, newest first' }),
})

const Tally = Type.Object({ count: Type.Integer(), byLabel: Type.Array(Type.Object({ label: Type.Integer(), count: Type.Integer() })) })
const NamedSegments = Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() }))

const GroupTally = Type.Object({ count: Type.Integer(), byLabel: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() })) })
const RfmGroupName = Type.Union(RFM_GROUPS.map((g) => Type.Literal(g)), { description: 'An RFM group name' })

export const TransitionsQuery = Type.Object({ from: FromVersion }, { additionalProperties: false })
export const TransitionsSchema = Type.Object({
  from: Type.Object({ version: Type.Integer(), segments: NamedSegments }),
  to: Type.Object({ version: Type.Integer(), segments: NamedSegments }),
  segments: Type.Object({
    from: Type.Array(Type.Integer(), { description: 'Row labels: segment ids of the earlier version' }),
    to: Type.Array(Type.Integer(), { description: 'Column labels: segment ids of this version' }),
    counts: Type.Array(Type.Array(Type.Integer()), { description: 'counts[i][j]: customers in from[i] before and to[j] now' }),
    shares: Type.Array(Type.Array(Type.Number()), { description: 'Row shares: counts[i][j] / Σj counts[i][j]' }),
    stayed: Type.Integer({ description: 'Customers in both versions (the sum of the cells)' }),
    entered: Tally,
    left: Tally,
  }),
  rfmGroups: Type.Union([Type.Object({
    from: Type.Array(Type.String(), { description: 'Row labels: the 11 RFM groups (earlier version), Champions first' }),
    to: Type.Array(Type.String(), { description: 'Column labels: the 11 RFM groups (this version)' }),
    counts: Type.Array(Type.Array(Type.Integer()), { description: 'counts[i][j]: customers in group from[i] before and to[j] now' }),
    shares: Type.Array(Type.Array(Type.Number()), { description: 'Row shares: counts[i][j] / Σj counts[i][j]' }),
    stayed: Type.Integer({ description: 'Customers with customer values in both versions (the sum of the cells)' }),
    entered: GroupTally,
    left: GroupTally,
  }), Type.Null()], { description: 'The same between the versions\' RFM groups; null when either version has no customer values' }),
})

export const MoversQuery = Type.Object({
  from: FromVersion,
  fromSegment: Type.Optional(Type.Integer({ minimum: 0 })),
  toSegment: Type.Optional(Type.Integer({ minimum: 0 })),
  fromGroup: Type.Optional(RfmGroupName),
  toGroup: Type.Optional(RfmGroupName),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
}, { additionalProperties: false })

export const MoversSchema = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  by: Type.Union([Type.Literal('segment'), Type.Literal('group')], { description: 'What the filters named: segments, or RFM groups (fromGroup/toGroup); the CSV columns follow it' }),
  total: Type.Integer({ description: 'Movers matching the filters, over all pages' }),
  movers: Type.Array(Type.Object({
    customerId: Type.String(), fromSegment: Type.Integer(), toSegment: Type.Integer(),
    fromGroup: Type.Union([Type.String(), Type.Null()]), toGroup: Type.Union([Type.String(), Type.Null()]),
    clv: Type.Union([Type.Number(), Type.Null()]),
  }), { description: 'Most valuable first (CLV in this version), then by customer id' }),
})
