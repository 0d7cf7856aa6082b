/**
 * A copy of `s` that shares no memory with the parser's chunk: a substring of a large chunk keeps
 * the whole chunk alive (V8 sliced strings), and the builder keeps each distinct string.
 */
export function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8')
}
