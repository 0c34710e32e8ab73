// The Worker's environment. The deployment's bindings and vars are generated from deploy/wrangler.jsonc
// by `wrangler types` into worker-configuration.d.ts (`npm run deploy:types`; npm test fails when it
// is stale: `wrangler types --check`). Added here by hand: the local target's knobs, which only the
// embedded local target (miniflare) sets and no deployment has, and a base domain a deployment to
// your own domain may change.
export type Env = Omit<Cloudflare.Env, "BASE_DOMAIN"> & {
  /** The domain whose subdomains name namespaces; `perf.do` unless the deployment says otherwise. */
  BASE_DOMAIN?: string;
  /**
   * The bearer token every request must carry (a wrangler secret). A deployment without one refuses
   * everything (access.ts); the local target needs one only when it is given one.
   */
  PERFDO_TOKEN?: string;
  /** "1" only on the embedded local target: enables the request counters under `/_perfdo/`. */
  PERFDO_LOCAL?: string;
  /** Local only: milliseconds added before every namespace request, to prove regressions get caught. */
  PERFDO_DELAY_MS?: string;
  /** Local only: break one behaviour on purpose, to prove the E2E suites catch it (the list: faults.ts). */
  PERFDO_FAULT?: string;
  /** Local only: the gateway to miniflare's R2 (lib/node/target/r2-sidecar.ts), where a deployment binds ICEBERG. */
  ICEBERG_STORE?: Fetcher;
  /**
   * Local only: miniflare's R2 bound directly (the route tests, the miniflare backend). Not ICEBERG:
   * that name is a deployment's binding, and PERFDO_LOCAL beside it is refused (index.ts).
   */
  ICEBERG_LOCAL?: R2Bucket;
  /** Local only: answer with a `cf-ray` header ending in this colo, as Cloudflare's edge does (TLS rehearsal). */
  PERFDO_CF_RAY_COLO?: string;
};
