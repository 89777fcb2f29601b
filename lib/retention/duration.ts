/** Durations as people write them in a purge request: `90d`, `12h`, `30m`, `45s`, `2w`, or ISO 8601 `P90D`/`PT12H`. */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration, or `undefined` when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  const simple = /^(\d{1,9})\s*([smhdw])$/i.exec(value);
  if (simple) return Number(simple[1]) * UNIT_MS[simple[2]!.toLowerCase()]!;
  const iso = /^P(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?$/i.exec(value);
  if (iso && value.length > 1 && !/T$/i.test(value)) {
    const [, w, d, h, m, s] = iso.map((x) => Number(x ?? 0));
    return w! * UNIT_MS.w! + d! * UNIT_MS.d! + h! * UNIT_MS.h! + m! * UNIT_MS.m! + s! * UNIT_MS.s!;
  }
  return undefined;
}
