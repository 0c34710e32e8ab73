// k6 duration strings ("90s", "2m", "1h30m", "500ms") ↔ seconds. Profiles split a run's duration
// into stages, which needs arithmetic on them. Pure; shared by k6 code and Node tests.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new Error(`invalid duration "${text}": use k6 units like 30s, 2m, 1h30m`);
  }
  return total;
}

/** Whole seconds only: stages shorter than a second are not meaningful load phases. */
export function formatDuration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds))}s`;
}
