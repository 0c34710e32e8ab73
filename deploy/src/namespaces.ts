// Which namespaces a feature's routes answer on (docs/contract.md §2). Each feature declares it in
// `serves`; a request for one of its paths on any other namespace falls through to later features,
// and to the object's 404 when none serves it there (so the stores routes do not answer on
// cache.perf.do). Decided once per object: an object's namespace never changes.

/** The name of a family of namespaces, or one of the two wider sets below. */
export type Served = string;

/** Every namespace: the helpers and lifecycle operations every object has (`/state`, `/ping`, `/fork`). */
export const EVERY = "*";
/**
 * Any namespace no feature names: the fresh names lifecycle work makes per run (`promote-<run>`,
 * `cold-<id>`, a fork's `<source>-fork-<hex>` of such a name).
 */
export const UNCLAIMED = "unclaimed";

/**
 * `stores` names `stores` itself and what descends from it (`stores-cold-1`, `sharded/3`), and a
 * family's partitions by a label in front (`com.web` for web's `.com` hosts, `com.web.perf.do`).
 */
export const inFamily = (namespace: string, family: string): boolean =>
  namespace === family ||
  (namespace.startsWith(family) && (namespace[family.length] === "-" || namespace[family.length] === "/")) ||
  (namespace.endsWith(`.${family}`) && !namespace.slice(0, -family.length - 1).includes("."));

/** The families some feature names (neither EVERY nor UNCLAIMED): a namespace in none of them is unclaimed. */
export const claimedFamilies = (declared: ReadonlyArray<readonly Served[]>): string[] =>
  [...new Set(declared.flat().filter((s) => s !== EVERY && s !== UNCLAIMED))];

/** Whether a feature declaring `serves` answers on `namespace`, given every family claimed. */
export function serves(servesList: readonly Served[], namespace: string, claimed: readonly string[]): boolean {
  return servesList.some((s) =>
    s === EVERY ? true : s === UNCLAIMED ? !claimed.some((family) => inFamily(namespace, family)) : inFamily(namespace, s),
  );
}
