// Small helpers over a Durable Object's SqlStorage shared by the store modules.

export type Row = Record<string, SqlStorageValue>;

export function all<T extends Row>(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): T[] {
  return sql.exec<T>(query, ...params).toArray();
}

export function first<T extends Row>(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): T | undefined {
  return all<T>(sql, query, ...params)[0];
}

/** WHERE clause from optional equality filters: the query's declared fields that are present. */
export function filters(query: Readonly<Record<string, unknown>>, columns: Record<string, string>): { where: string; params: SqlStorageValue[] } {
  const clauses: string[] = [];
  const params: SqlStorageValue[] = [];
  for (const [field, column] of Object.entries(columns)) {
    const value = query[field];
    if (value !== undefined) {
      clauses.push(`${column} = ?`);
      params.push(value as SqlStorageValue);
    }
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

export function param(request: { params: Record<string, string | undefined> }, name: string): string {
  const raw = request.params[name] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a stray "%" is part of the id, not an encoding error worth a 500
  }
}

export const now = (): string => new Date().toISOString();
export const parseJson = (text: SqlStorageValue): unknown => (typeof text === "string" ? (JSON.parse(text) as unknown) : null);

/**
 * Runs a write and returns the rows it changed (SQLite's changes()). Not `cursor.rowsWritten`: that
 * counts rows written to every b-tree, so an insert into a table with an index or an AUTOINCREMENT
 * key reports more than the rows it added (seen on tx_dedup and cdc_log; deletes counted true).
 */
export function changed(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): number {
  sql.exec(query, ...params);
  return sql.exec<{ n: number }>("SELECT changes() AS n").one().n;
}
