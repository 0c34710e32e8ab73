// 5-field cron (minute hour day-of-month month day-of-week; `*`, lists, ranges, steps; UTC) and
// the next minute it matches. Pure.

const CRON_FIELDS: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];

/** A 5-field cron expression → the allowed values of each field; a string naming the problem otherwise. */
export function parseCron(expr: string): Array<Set<number>> | string {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) return `cron "${expr}" needs 5 fields (minute hour day-of-month month day-of-week)`;
  const sets: Array<Set<number>> = [];
  for (const [i, part] of parts.entries()) {
    const [lo, hi] = CRON_FIELDS[i] as [number, number];
    const set = new Set<number>();
    for (const item of part.split(",")) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) return `cron field ${i + 1} "${part}" is not *, n, a-b, a,b or */step`;
      const from = m[1] === "*" ? lo : Number(m[2]);
      const to = m[1] === "*" ? hi : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? hi : from;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (from < lo || to > hi || from > to || step < 1) return `cron field ${i + 1} "${part}" is outside ${lo}-${hi}`;
      for (let v = from; v <= to; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    sets.push(set);
  }
  return sets;
}

/** The first minute strictly after `after` (ms, UTC) that the cron matches; null within 4 years. */
export function nextRun(sets: Array<Set<number>>, after: number): number | null {
  const [minutes, hours, doms, months, dows] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const domAny = doms.size === 31;
  const dowAny = dows.size === 7;
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 4 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    // Cron's rule: when both day fields are restricted, either may match.
    const dayOk = domAny && dowAny ? true : domAny ? dows.has(d.getUTCDay()) : dowAny ? doms.has(d.getUTCDate()) : doms.has(d.getUTCDate()) || dows.has(d.getUTCDay());
    if (!months.has(d.getUTCMonth() + 1) || !dayOk) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return null;
}
