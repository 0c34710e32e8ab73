// The SQL an Iceberg query accepts (POST /iceberg/query {sql, params}), free of Workers types so it is
// unit-testable in Node: one SELECT from one table, a conjunction of comparisons, an optional LIMIT.
//   SELECT * | col, … | COUNT(*) [AS name] FROM <table> [WHERE <cond> [AND <cond>]…] [LIMIT <n>]
//   <cond>: <col> (= | < | <= | > | >=) ?   or   <col> BETWEEN ? AND ?   or   <col> IN (?, …)
// Values are parameters only (`?`), never literals in the text, so nothing in the SQL is a value to
// escape. Hand-written because the grammar is this small: a general SQL parser would add far more to a
// Worker with a size limit (node-sql-parser 5.4.0's SQLite build alone is 206 KB minified), only to
// reject everything but this.

export interface Condition { column: string; op: "=" | "<" | "<=" | ">" | ">=" | "in"; value: string; values?: string[] }
/** `count`: the name of the one column of a COUNT(*) query's single row; null for a query of rows. */
export interface Select { columns: string[] | "*"; table: string; where: Condition[]; limit: number | null; count: string | null }

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The query, or a one-line reason it is not one this accepts. */
export function parseSelect(sql: string, params: readonly unknown[]): Select | string {
  if (sql.length > 2000) return "sql is longer than 2,000 characters";
  const tokens = sql.trim().replace(/;$/, "").match(/<=|>=|[=<>,*?()]|[A-Za-z_][A-Za-z0-9_]*|\d+|\S/g) ?? [];
  let i = 0;
  let p = 0;
  const peek = (): string => (tokens[i] ?? "").toUpperCase();
  const take = (word?: string): string | null => {
    if (word !== undefined && peek() !== word) return null;
    return tokens[i++] ?? null;
  };
  const param = (): string | null => {
    if (take("?") === null) return null;
    const v = params[p++];
    return typeof v === "string" || typeof v === "number" ? String(v) : null;
  };
  if (take("SELECT") === null) return "expected SELECT";
  let columns: string[] | "*" = [];
  let count: string | null = null;
  if (take("*") !== null) columns = "*";
  else if (peek() === "COUNT" && (tokens[i + 1] ?? "") === "(") {
    i += 2;
    if (take("*") === null || take(")") === null) return "expected COUNT(*)";
    columns = "*";
    count = "count";
    if (take("AS") !== null) {
      const alias = take();
      if (alias === null || !IDENT.test(alias)) return "expected a name after AS";
      count = alias;
    }
  } else {
    do {
      const c = take();
      if (c === null || !IDENT.test(c)) return `expected a column name, got ${c ?? "the end"}`;
      columns.push(c);
    } while (take(",") !== null);
  }
  if (take("FROM") === null) return "expected FROM <table>";
  const table = take();
  if (table === null || !IDENT.test(table)) return "expected a table name after FROM";
  const where: Condition[] = [];
  if (take("WHERE") !== null) {
    do {
      const column = take();
      if (column === null || !IDENT.test(column)) return "expected a column in WHERE";
      if (take("BETWEEN") !== null) {
        const lo = param();
        if (lo === null || take("AND") === null) return "expected BETWEEN ? AND ?";
        const hi = param();
        if (hi === null) return "expected BETWEEN ? AND ?";
        where.push({ column, op: ">=", value: lo }, { column, op: "<=", value: hi });
        continue;
      }
      if (take("IN") !== null) {
        if (take("(") === null) return "expected IN (?, …)";
        const values: string[] = [];
        do {
          const value = param();
          if (value === null) return "expected IN (?, …) with parameters only";
          values.push(value);
        } while (take(",") !== null);
        if (take(")") === null || values.length > 100) return "expected IN (?, …) with at most 100 parameters";
        where.push({ column, op: "in", value: values[0] as string, values });
        continue;
      }
      const op = take();
      if (op === null || !["=", "<", "<=", ">", ">="].includes(op)) return `expected = < <= > >= BETWEEN or IN after ${column}`;
      const value = param();
      if (value === null) return `expected ? (a string or number parameter) after ${column} ${op}`;
      where.push({ column, op: op as Condition["op"], value });
    } while (take("AND") !== null);
  }
  let limit: number | null = null;
  if (take("LIMIT") !== null) {
    const n = take();
    limit = n !== null && /^\d+$/.test(n) ? Math.min(Number(n), 10_000) : null;
    if (limit === null) return "expected a number after LIMIT";
  }
  if (i < tokens.length) return `unexpected ${tokens[i]}`;
  if (p !== params.length) return `${params.length} parameter(s) given, ${p} used`;
  return { columns, table, where, limit, count };
}

/** The key range the conditions on `key` allow ([min, max], inclusive, as strings), for pruning. */
export function keyRange(where: readonly Condition[], key: string): { min: string; max: string } {
  let min = "";
  let max = "\uffff";
  for (const c of where) {
    if (c.column !== key) continue;
    // IN: the smallest range holding every value (the files between are pruned by bounds alone).
    const lo = c.op === "in" ? [...(c.values ?? [])].sort()[0] ?? c.value : c.value;
    const hi = c.op === "in" ? [...(c.values ?? [])].sort().at(-1) ?? c.value : c.value;
    if (c.op === "=" || c.op === ">=" || c.op === ">" || c.op === "in") min = lo > min ? lo : min;
    if (c.op === "=" || c.op === "<=" || c.op === "<" || c.op === "in") max = hi < max ? hi : max;
  }
  return { min, max };
}

/** Whether a row meets every condition (compared as strings, as the table's key is). */
export function matches(row: Record<string, unknown>, where: readonly Condition[]): boolean {
  return where.every((c) => {
    const v = row[c.column];
    if (v === undefined || v === null) return false;
    const s = String(v);
    return c.op === "in" ? (c.values ?? []).includes(s) : c.op === "=" ? s === c.value : c.op === "<" ? s < c.value : c.op === "<=" ? s <= c.value : c.op === ">" ? s > c.value : s >= c.value;
  });
}
