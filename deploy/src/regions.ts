import { s } from "./schema";
// Regions of replicated.perf.do and the colos each stands for (contract §4), free of Workers types.
// Locally every region is an object on this machine: `nearest` is the local client's home region,
// us-east, and a region's colo is the first of its list.

export const REGION_COLOS: Record<string, readonly string[]> = {
  "us-east": ["IAD", "EWR", "ATL", "MIA"],
  "us-west": ["SJC", "LAX", "SEA", "PDX"],
  "eu-west": ["LHR", "CDG", "DUB", "AMS"],
  "eu-central": ["FRA", "MUC", "VIE", "ZRH"],
  "ap-northeast": ["NRT", "KIX", "ICN"],
  "ap-southeast": ["SIN", "SYD", "HKG"],
};
export const REGIONS = Object.keys(REGION_COLOS);
export const NEAREST_REGION = "us-east";
export const SHARDS = 5;

export type ReplicaChoice = { kind: "primary" } | { kind: "region"; region: string } | { kind: "invalid"; reason: string };

/** `?replica=` → where to read; absent means the primary. */
export function replicaChoice(value: string | null): ReplicaChoice {
  if (value === null || value === "" || value === "primary") return { kind: "primary" };
  if (value === "nearest") return { kind: "region", region: NEAREST_REGION };
  if (REGIONS.includes(value)) return { kind: "region", region: value };
  return { kind: "invalid", reason: `replica must be primary, nearest or one of ${REGIONS.join(", ")}` };
}

/** A read-only statement: the targeting routes run client SQL, so nothing else is accepted. */
/** A body's `sql`: one read-only SELECT (the rule below), checked by the route's schema. */
export const ReadOnlySql = s.parsed("a single read-only SELECT", (t) => (typeof t === "string" && isReadOnlySql(t) ? t : null));

export function isReadOnlySql(sql: string): boolean {
  const s = sql.trim().replace(/;\s*$/, "");
  return /^(select|with)\b/i.test(s) && !s.includes(";") && !/\b(insert|update|delete|drop|alter|create|attach|pragma|replace|vacuum)\b/i.test(s);
}
