import type { IRequest, RouterType } from "itty-router";
import { boundParams, paramNames } from "./input";
import type { Fault } from "./faults";
import type { ObjectStore } from "./iceberg/store";
import type { Served } from "./namespaces";

// A feature of the reference Worker: one module declaring its name, its schema (versioned), its
// routes, the paths it shares with another feature and the RPC methods other objects may call on
// it. `features.ts` lists them, in the order their routes are tried; nothing else registers routes.

/** What a feature's routes and RPC methods get from the object they run in. */
export interface FeatureContext {
  readonly sql: SqlStorage;
  transaction<T>(fn: () => T): T;
  /** This object's namespace (`fork` for fork.perf.do). */
  namespace(): string;
  readonly baseDomain: string;
  /** Another namespace's object, called by Durable Object RPC (no made-up URLs, no JSON round trip). */
  peer(namespace: string): Peer;
  /** WebSockets accepted by this object (hibernatable). */
  sockets(): number;
  /** Wakes this object's alarm at `at` or earlier: an earlier alarm already set (another feature's) is kept. */
  setAlarm(at: number): Promise<void>;
  /** Local only: the behaviour broken on purpose (`PERFDO_FAULT`), to prove an E2E suite catches it; "" otherwise. */
  readonly fault: Fault | "";
  /** True on the embedded local target only: harness hooks (cold-start seeding, resets) answer there alone. */
  readonly local: boolean;
  /** Resets this object right after the current response: the next request builds a new instance (storage kept). */
  resetSoon(): void;
  /** The R2 bucket Iceberg tables live in (deployed: the ICEBERG binding; local: miniflare's R2); null when none is bound. */
  readonly store: ObjectStore | null;
  /** Deletes all of this object's storage. */
  deleteAll(): Promise<void>;
  /** The features that define `hook`, each with its tables made ready (a route acting on other features' tables calls their hooks). */
  owners(hook: "compact"): Feature[];
  /** This Worker's own fetch handler (`ctx.exports.default`): a request from this object through the Worker, as a client's goes. */
  viaWorker(request: Request): Promise<Response>;
}

export interface Peer {
  /** Runs `method` of `feature`'s `rpc` in the peer object; its tables are made ready first. */
  call<T = unknown>(feature: string, method: string, payload?: unknown): Promise<T>;
}

/** An RPC method: a structured-clonable payload in, a structured-clonable value out. */
export type RpcMethod = (ctx: FeatureContext, payload: never) => unknown;

export interface Schema {
  /** migrations[i] takes the feature's tables from version i to i + 1; the version is their count. */
  migrations: ReadonlyArray<(sql: SqlStorage) => void>;
}

export interface SharedRoute {
  /** `POST /write`, as registered (itty-router pattern). */
  route: string;
  /** The feature registered earlier or later on the same path. */
  with: string;
  /** How the two tell requests apart (which one answers, which one falls through). */
  how: string;
}

/** What `POST /compact` asks each feature to keep. */
export interface CompactOptions {
  keepVersions: number;
  keepEvents: number;
  now: number;
}

export interface Feature {
  readonly name: string;
  readonly schema?: Schema;
  /** Features whose tables this one's routes read or write (their schemas are made ready too). */
  readonly uses?: readonly string[];
  /** Paths this feature shares with another; any other overlap fails `test/unit/worker-features.test.ts`. */
  readonly shares?: readonly SharedRoute[];
  /**
   * The namespaces that get this feature's routes (./namespaces.ts): families by name (`"stores"`:
   * `stores.` and `stores-cold-1.`), EVERY, or UNCLAIMED (any name no feature claims). On any
   * other namespace its paths fall through to later features, and to a 404 naming who serves them.
   */
  readonly serves: readonly Served[];
  /** Registers the routes: every feature the same way, `(router, ctx)`. */
  routes(router: RouterType, ctx: FeatureContext): void;
  readonly rpc?: Readonly<Record<string, RpcMethod>>;
  /**
   * Prunes what this feature keeps beyond its data, in its own tables only (`POST /compact` calls
   * every feature's hook in one transaction); returns what it removed, by kind.
   */
  compact?(sql: SqlStorage, keep: CompactOptions): Record<string, number>;
  /** Work the object's alarm does for this feature; resolves to when it next needs waking, or null. */
  alarm?(ctx: FeatureContext): Promise<number | null>;
}

export const SCHEMA_TABLE = "_perfdo_features";

/** The feature's schema version, once its migrations are all applied. */
export const versionOf = (feature: Feature): number => feature.schema?.migrations.length ?? 0;

/**
 * Brings a feature's tables to its version, in one transaction: the registry table records each
 * feature's version, so an object created by an older Worker is migrated forward, step by step,
 * and one created by a newer Worker is refused rather than written to with the wrong schema.
 */
export function migrate(sql: SqlStorage, transaction: <T>(fn: () => T) => T, feature: Feature): void {
  const target = versionOf(feature);
  if (target === 0) return;
  transaction(() => {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (name TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
    const row = sql.exec<{ version: number }>(`SELECT version FROM ${SCHEMA_TABLE} WHERE name = ?`, feature.name).toArray()[0];
    const current = row?.version ?? 0;
    if (current > target) throw new Error(`feature ${feature.name}: stored schema version ${current} is newer than this Worker's ${target}`);
    if (current === target) return;
    for (let v = current; v < target; v++) (feature.schema as Schema).migrations[v]?.(sql);
    sql.exec(`INSERT INTO ${SCHEMA_TABLE} (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version`, feature.name, target);
  });
}

const METHODS = ["get", "post", "put", "patch", "delete", "all"] as const;

export type Handler = (...args: never[]) => unknown;

/** Set on a request whose path a feature has but does not serve on this namespace: the 404 names it. */
export const UNSERVED = Symbol("perfdo.unserved");

/**
 * The router a feature registers on: the object's one router, with every handler wrapped so that
 * the feature's tables (and those it uses) exist before it runs, and so that a namespace the
 * feature does not serve falls through (`served`, decided once per object). `onRoute` sees each
 * registration (tests).
 */
export function featureRouter(
  router: RouterType,
  feature: Feature,
  ready: () => void,
  served: () => boolean,
  onRoute?: (method: string, path: string, handlers: readonly Handler[]) => void,
): RouterType {
  const wrap = (handler: Handler, route: string, params: readonly string[]): Handler =>
    ((...args: never[]) => {
      if (!served()) {
        const request = args[0] as unknown as { [UNSERVED]?: string };
        request[UNSERVED] ??= feature.name;
        return undefined;
      }
      if (params.length > 0) boundParams(args[0] as unknown as IRequest, route, params);
      ready();
      return handler(...args);
    }) as Handler;
  const facade: Record<string, unknown> = {};
  for (const method of METHODS) {
    facade[method] = (path: string, ...handlers: Handler[]) => {
      onRoute?.(method.toUpperCase(), path, handlers);
      (router[method] as (path: string, ...h: Handler[]) => unknown)(path, ...handlers.map((h) => wrap(h, `${method.toUpperCase()} ${path}`, paramNames(path))));
      return facade;
    };
  }
  return facade as unknown as RouterType;
}

/** Whether two route patterns (same method) can match one path: each segment equal, or either a parameter. */
export function patternsOverlap(a: string, b: string): boolean {
  const sa = a.split("/").filter(Boolean);
  const sb = b.split("/").filter(Boolean);
  if (sa.some((s) => s.includes("*")) || sb.some((s) => s.includes("*"))) return true;
  // `:id+` (itty-router's greedy parameter) takes the rest of the path, one segment or more
  const greedy = (p: string[]) => (p.length > 0 && /^:\w+\+$/.test(p[p.length - 1] as string) ? p.length - 1 : -1);
  const ga = greedy(sa);
  const gb = greedy(sb);
  const fixed = Math.min(ga < 0 ? sa.length : ga, gb < 0 ? sb.length : gb);
  if (ga < 0 && gb < 0 && sa.length !== sb.length) return false;
  if (ga >= 0 && gb < 0 && sb.length < sa.length) return false;
  if (gb >= 0 && ga < 0 && sa.length < sb.length) return false;
  return sa.slice(0, fixed).every((s, i) => segmentsOverlap(s, sb[i] as string));
}

/** One segment each: equal, either a parameter, or a literal prefix then a parameter (`table:n`) that the other can extend. */
function segmentsOverlap(a: string, b: string): boolean {
  if (a === b || a.startsWith(":") || b.startsWith(":")) return true;
  const pa = a.indexOf(":");
  const pb = b.indexOf(":");
  if (pa < 0 && pb < 0) return false;
  const prefixA = pa < 0 ? a : a.slice(0, pa);
  const prefixB = pb < 0 ? b : b.slice(0, pb);
  // the parameter takes one character or more after its prefix
  if (pa >= 0 && pb >= 0) return prefixA.startsWith(prefixB) || prefixB.startsWith(prefixA);
  return pa >= 0 ? b.length > prefixA.length && b.startsWith(prefixA) : a.length > prefixB.length && a.startsWith(prefixB);
}
