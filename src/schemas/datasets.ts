import { DATE_FORMAT_PATTERN } from '../ingest/reading.ts'
import { Type } from 'typebox'

export const Dataset = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    sha256: Type.String({ description: 'sha256 of the uploaded bytes, as uploaded' }),
    format: Type.Union([Type.Literal('csv'), Type.Literal('csv.gz'), Type.Literal('xlsx')]),
    status: Type.Literal('ready'),
    bytes: Type.Integer(),
    rows: Type.Object({ read: Type.Integer(), accepted: Type.Integer(), rejected: Type.Integer() }),
    rejections: Type.Array(
      Type.Object({
        line: Type.Optional(Type.Integer({ description: 'CSV: 1-based line of the file where the record starts (header = 1)' })),
        sheet: Type.Optional(Type.String({ description: 'xlsx: the worksheet' })),
        row: Type.Optional(Type.Integer({ description: 'xlsx: the sheet row, as Excel numbers it' })),
        reason: Type.String(),
      }),
      { description: 'The first 100 rejected rows' },
    ),
    dateFormat: Type.Union([Type.String(), Type.Null()], { description: 'The date format used (decided per file, or ?dateFormat=), e.g. DD/MM/YYYY HH:mm' }),
    decimal: Type.Union([Type.Literal('.'), Type.Literal(',')], { description: 'The decimal mark used (detected per file, or ?decimal=)' }),
    sheets: Type.Optional(Type.Array(Type.Object({
      index: Type.Integer({ description: '1-based position in the workbook' }),
      name: Type.String(),
      rows: Type.Object({ read: Type.Integer(), accepted: Type.Integer(), rejected: Type.Integer() }),
    }), { description: 'xlsx: the worksheets read, in order, with their counts' })),
    skippedSheets: Type.Optional(Type.Array(Type.Object({ index: Type.Integer(), name: Type.String(), reason: Type.String() }),
      { description: 'xlsx: worksheets not read (no header that maps, or not the ?sheet= asked for)' })),
    customers: Type.Integer(),
    invoices: Type.Integer(),
    countries: Type.Integer(),
    dateRange: Type.Object({
      from: Type.Union([Type.String(), Type.Null()], { description: 'Local time of the first invoice, YYYY-MM-DDTHH:MM:SS' }),
      to: Type.Union([Type.String(), Type.Null()]),
    }),
    createdAt: Type.String({ format: 'date-time' }),
    aggregates: Type.Optional(Type.Union([Type.Literal('ready'), Type.Literal('building')], {
      description: 'GET /datasets/{id} and uploads: whether its per-customer aggregates are stored (built in the upload pass; for a file whose dates were re-read day first, from its stored rows right after); training and drift merge them when ready, else read its transactions',
    })),
  },
  { $id: 'Dataset' },
)

export const DatasetParams = Type.Object({ id: Type.String() })
export const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  sheet: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'xlsx: read this worksheet only, by name or 1-based index (default: every sheet whose header maps)' })),
  dateFormat: Type.Optional(Type.String({ pattern: DATE_FORMAT_PATTERN, description: 'Slash-date order and format, e.g. DD/MM/YYYY HH:mm or MM/DD/YYYY HH:mm (default: decided per file from its values)' })),
  decimal: Type.Optional(Type.Union([Type.Literal('.'), Type.Literal(',')], { description: 'Decimal mark of prices (default: detected per file)' })),
  maxRejectedShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of rejected rows above which the upload is refused (default 0.01)' })),
}, { additionalProperties: false })
