// Segments over time, read from the assignments every model version keeps: one customer's
// history across versions, the transitions between two versions, and the movers between two
// segments. Everything is SQL over `assignments` and `model_versions`, the same on both backends.
import type { SqlRunner } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import { transitions, type Transitions } from './transitions.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { windowView, type WindowSpec, type WindowView } from '../training/window.ts'
import { RFM_GROUPS, type RfmGroup } from '../value/rfm.ts'

type Db = Pick<SqlRunner, 'query'>

interface SegmentInfo { id: number; name: string | null }

interface VersionRow {
  version: number
  created_at: Date
  as_of: string | null
  window_spec: WindowSpec | null
  segments: SegmentInfo[]
  counterparts: (number | null)[] | null
  matched: boolean | null
}

// asOf: the observation end the training resolved (the request's, or the data's last day).
const VERSION_COLUMNS = `m.version, m.created_at, to_char(m.as_of, 'YYYY-MM-DD') AS as_of, m.params->'window' AS window_spec,
  (SELECT coalesce(json_agg(json_build_object('id', (s->>'id')::int, 'name', s->>'name')), '[]'::json) FROM jsonb_array_elements(m.bundle->'segments') s) AS segments,
  m.report->'counterparts' AS counterparts, (m.report->>'matchedToPrevious')::boolean AS matched`

async function versionRow(db: Db, version: number): Promise<VersionRow> {
  const rows = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions m WHERE m.version = $1`, [version])
  if (!rows[0]) throw new HttpProblem(404, 'Not Found', `no model version ${version}`)
  return rows[0]
}

/**
 * The version `v` is compared with by default: the one it replaced when it was first activated,
 * else the one active when it was trained (what its segment ids were matched to), else none.
 */
export async function previousVersion(db: Db, version: number): Promise<number | null> {
  const replaced = await db.query<{ from: number | null }>('SELECT "from" FROM activations WHERE "to" = $1 ORDER BY id LIMIT 1', [version])
  if (replaced[0]?.from != null) return replaced[0].from
  const atTraining = await db.query<{ to: number }>(
    `SELECT a."to" FROM activations a, model_versions m WHERE m.version = $1 AND a.at <= m.created_at AND a."to" <> $1 ORDER BY a.id DESC LIMIT 1`, [version])
  return atTraining[0]?.to ?? null
}

const segmentName = (v: VersionRow, id: number) => v.segments.find((s) => s.id === id)?.name ?? `Segment ${id}`

export interface HistoryEntry {
  version: number
  createdAt: string
  asOf: string | null
  /** The version's rolling window (src/training/window.ts); null: every day up to asOf. */
  window: WindowView | null
  active: boolean
  segment: { id: number; name: string; counterpart: number | null; newSegment: boolean }
  outlier: boolean
  /** From the version's customer values (issue 15); null where the version has none. */
  rfmGroup: string | null
  clv: number | null
  pAlive: number | null
}

/** Every version that assigned the customer, newest first; 404 when none did. */
export async function customerHistory(db: Db, customerId: string): Promise<{ customerId: string; versions: HistoryEntry[] }> {
  const rows = await db.query<VersionRow & { segment: number; outlier: boolean; active: boolean; rfm_group: string | null; clv: number | null; p_alive: number | null }>(
    `SELECT ${VERSION_COLUMNS}, a.segment, a.outlier, (m.version = (SELECT version FROM active_model WHERE id = 1)) AS active,
            v.rfm_group, v.clv, v.p_alive
       FROM assignments a JOIN model_versions m ON m.version = a.version
       LEFT JOIN customer_values v ON v.version = a.version AND v.customer_id = a.customer_id
      WHERE a.customer_id = $1 ORDER BY m.version DESC`, [customerId])
  if (rows.length === 0) throw new HttpProblem(404, 'Not Found', `no model version assigned customer ${customerId}`)
  return {
    customerId,
    versions: rows.map((r) => {
      const counterpart = r.counterparts?.[r.segment] ?? null
      return {
        version: r.version,
        createdAt: new Date(r.created_at).toISOString(),
        asOf: r.as_of,
        window: r.window_spec && r.as_of ? windowView(r.window_spec, dayOf(Date.parse(`${r.as_of}T00:00:00Z`))) : null,
        active: r.active === true,
        // A segment of a retrain that matched no segment of the model it was trained against is new.
        segment: { id: r.segment, name: segmentName(r, r.segment), counterpart, newSegment: r.matched === true && counterpart === null },
        outlier: r.outlier,
        rfmGroup: r.rfm_group ?? null,
        clv: r.clv ?? null,
        pAlive: r.p_alive ?? null,
      }
    }),
  }
}

async function labels(db: Db, version: number): Promise<{ customerId: string; label: number }[]> {
  return db.query<{ customerId: string; label: number }>('SELECT customer_id AS "customerId", segment AS label FROM assignments WHERE version = $1', [version])
}

export interface TransitionsView {
  from: { version: number; segments: { id: number; name: string }[] }
  to: { version: number; segments: { id: number; name: string }[] }
  segments: Transitions<number>
  /** Between the versions' RFM groups (customer_values); null when either version has no customer values. */
  rfmGroups: Transitions<string> | null
}

async function groups(db: Db, version: number): Promise<{ customerId: string; label: string }[]> {
  return db.query<{ customerId: string; label: string }>('SELECT customer_id AS "customerId", rfm_group AS label FROM customer_values WHERE version = $1', [version])
}

async function pair(db: Db, version: number, from: number | undefined): Promise<[VersionRow, VersionRow]> {
  const to = await versionRow(db, version)
  const u = from ?? (await previousVersion(db, version))
  if (u === null) throw new HttpProblem(409, 'Conflict', `model version ${version} has no previous version to compare with; pass ?from=`)
  if (u === version) throw new HttpProblem(400, 'Bad Request', 'from must be another version', [{ path: 'querystring.from', message: 'same version' }])
  return [await versionRow(db, u), to]
}

export async function modelTransitions(db: Db, version: number, from?: number): Promise<TransitionsView> {
  const [u, v] = await pair(db, version, from)
  const ids = (x: VersionRow) => x.segments.map((s) => s.id)
  const segments = transitions(await labels(db, u.version), await labels(db, v.version), ids(u), ids(v))
  const named = (x: VersionRow) => x.segments.map((s) => ({ id: s.id, name: segmentName(x, s.id) })).sort((a, b) => a.id - b.id)
  const [gu, gv] = [await groups(db, u.version), await groups(db, v.version)]
  // All 11 groups as rows and columns, in their canonical order, even where nobody is.
  const rfmGroups = gu.length > 0 && gv.length > 0 ? transitions<string>(gu, gv, [...RFM_GROUPS], [...RFM_GROUPS], true) : null
  return { from: { version: u.version, segments: named(u) }, to: { version: v.version, segments: named(v) }, segments, rfmGroups }
}

export interface Mover {
  customerId: string
  fromSegment: number
  toSegment: number
  /** The customer's RFM group in each version (null where the version has no customer values). */
  fromGroup: string | null
  toGroup: string | null
  /** The customer's CLV in the later version (null where it has none). */
  clv: number | null
}

export interface MoversQuery {
  from?: number
  fromSegment?: number
  toSegment?: number
  fromGroup?: RfmGroup
  toGroup?: RfmGroup
  limit: number
  offset: number
}

export interface MoversPage { from: number; to: number; by: 'segment' | 'group'; total: number; movers: Mover[] }

async function hasValues(db: Db, version: number): Promise<boolean> {
  return (await db.query('SELECT 1 FROM customer_values WHERE version = $1 LIMIT 1', [version])).length > 0
}

/**
 * Customers in both versions, optionally from one segment and/or to another, or from one RFM group
 * and/or to another (never both kinds: 400), most valuable first. By group, "in both" means with
 * customer values in both, the population of the transitions' rfmGroups matrix; a version without
 * customer values has no groups to filter on: 409, as for a missing previous version (the state of
 * the versions, not the request, is what is wrong).
 */
export async function movers(db: Db, version: number, q: MoversQuery): Promise<MoversPage> {
  const bySegment = q.fromSegment !== undefined || q.toSegment !== undefined
  const by = q.fromGroup !== undefined || q.toGroup !== undefined ? 'group' : 'segment'
  if (bySegment && by === 'group') {
    throw new HttpProblem(400, 'Bad Request', 'filter by segments (fromSegment, toSegment) or by RFM groups (fromGroup, toGroup), not both',
      [{ path: 'querystring', message: 'fromSegment/toSegment and fromGroup/toGroup cannot be mixed' }])
  }
  const [u, v] = await pair(db, version, q.from)
  if (by === 'group') {
    for (const x of [u, v]) if (!(await hasValues(db, x.version))) throw new HttpProblem(409, 'Conflict', `model version ${x.version} has no customer values, so no RFM groups to move between`)
  }
  const join = by === 'group' ? 'JOIN' : 'LEFT JOIN'
  const where = ['a.version = $1', 'b.version = $2']
  const params: unknown[] = [u.version, v.version]
  const filter = (value: unknown, column: string) => { if (value !== undefined) { params.push(value); where.push(`${column} = $${params.length}`) } }
  filter(q.fromSegment, 'a.segment'); filter(q.toSegment, 'b.segment'); filter(q.fromGroup, 'va.rfm_group'); filter(q.toGroup, 'vb.rfm_group')
  const base = `FROM assignments a JOIN assignments b ON b.customer_id = a.customer_id
       ${join} customer_values va ON va.version = a.version AND va.customer_id = a.customer_id
       ${join} customer_values vb ON vb.version = b.version AND vb.customer_id = b.customer_id
      WHERE ${where.join(' AND ')}`
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${base}`, params)
  // The campaign list: most valuable first (versions without customer values: by id).
  const rows = await db.query<Mover>(
    `SELECT a.customer_id AS "customerId", a.segment AS "fromSegment", b.segment AS "toSegment",
            va.rfm_group AS "fromGroup", vb.rfm_group AS "toGroup", vb.clv
       ${base}
      ORDER BY vb.clv DESC NULLS LAST, a.customer_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, q.limit, q.offset])
  return { from: u.version, to: v.version, by, total: total[0]!.n, movers: rows }
}
