// Grafana Cloud k6 load zones: `--zones amazon:us:ashburn=50,amazon:de:frankfurt=50` becomes
// `options.cloud.distribution`. Pure and free of k6 imports: the Node CLI validates with it before
// anything is sent, and the script (options-build.ts, __VU 0 only) builds options with it.

/** Grafana Cloud k6's public load zones (its "Use load zones" list). */
export const LOAD_ZONES = [
  "amazon:us:ashburn", "amazon:us:columbus", "amazon:us:palo alto", "amazon:us:portland",
  "amazon:ca:montreal", "amazon:br:sao paulo",
  "amazon:ie:dublin", "amazon:gb:london", "amazon:fr:paris", "amazon:de:frankfurt", "amazon:it:milan", "amazon:se:stockholm",
  "amazon:bh:bahrain", "amazon:sa:cape town",
  "amazon:in:mumbai", "amazon:sg:singapore", "amazon:jp:tokyo", "amazon:jp:osaka", "amazon:kr:seoul", "amazon:cn:hong kong", "amazon:au:sydney",
] as const;

export interface Distribution {
  [label: string]: { loadZone: string; percent: number };
}

/** `zone=percent,…` → a distribution, or throws one line saying what is wrong. */
export function parseZones(spec: string): Distribution {
  const distribution: Distribution = {};
  let total = 0;
  const parts = spec.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error("--zones is empty: give zone=percent pairs, e.g. amazon:us:ashburn=50,amazon:de:frankfurt=50");
  for (const part of parts) {
    const eq = part.lastIndexOf("=");
    const zone = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const percentText = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (!(LOAD_ZONES as readonly string[]).includes(zone)) {
      throw new Error(`unknown load zone "${zone}" (one of: ${LOAD_ZONES.join(", ")})`);
    }
    if (!/^\d+$/.test(percentText) || Number(percentText) < 1 || Number(percentText) > 100) {
      throw new Error(`load zone "${zone}": percent must be a whole number 1-100, got "${percentText}"`);
    }
    const label = zone.replace(/[^a-z0-9]+/g, "-");
    if (distribution[label]) throw new Error(`load zone "${zone}" is given twice`);
    distribution[label] = { loadZone: zone, percent: Number(percentText) };
    total += Number(percentText);
  }
  if (total !== 100) throw new Error(`load zone percentages sum to ${total}, not 100`);
  return distribution;
}
