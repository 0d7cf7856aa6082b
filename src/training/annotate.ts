// What each segment is told after the fit: its name and description, its profile, its top products.
import { annotationsFrom, type SegmentAnnotation } from '../pipeline/bundle.ts'
import type { BuildResult } from '../pipeline/features.ts'
import { nameSegments } from '../pipeline/names.ts'
import { profileSegments } from '../pipeline/profiles.ts'
import { topProductsBySegment } from '../pipeline/recommend.ts'
import type { AnnotateContext } from '../pipeline/train.ts'

export function annotateSegments(baskets: BuildResult['baskets']): (ctx: AnnotateContext) => SegmentAnnotation[] {
  return ({ table, assignments, bundle }) => {
    const k = bundle.segments.length
    return annotationsFrom(
      bundle.segments.map((s) => s.id),
      {
        names: nameSegments(table, assignments, { k }),
        profiles: profileSegments(table, assignments, k),
        topProducts: topProductsBySegment(baskets, assignments, { k }),
      },
    )
  }
}
