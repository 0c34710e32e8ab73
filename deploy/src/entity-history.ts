import { all, parseJson } from "./sql";

// Reading an entity's lifecycle history (promote/demote), from the entity_history table the promote
// feature owns (promote.ts creates and writes it). Its own module, so the things store, which shows
// a thing's history, reads it without importing promote, which imports the things store.

export function historyOf(sql: SqlStorage, id: string): Array<{ event: string; data: unknown; at: string }> {
  return all<{ event: string; data: string; at: string }>(sql, "SELECT event, data, at FROM entity_history WHERE id = ? ORDER BY seq", id).map((h) => ({ event: h.event, data: parseJson(h.data), at: h.at }));
}
