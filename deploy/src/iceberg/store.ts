// Where Iceberg tables live: an R2 bucket. A deployment binds one (`ICEBERG`, deploy/wrangler.jsonc);
// the embedded local target runs miniflare's local R2 beside workerd and reaches it through a small
// gateway Worker (`ICEBERG_STORE`, lib/node/target/r2-sidecar.ts), since workerd alone has no R2.
// Either way the reader sees one interface, and every read is counted: the pruning report says how
// many objects and bytes a query took from the bucket.

/** The bucket failed (an error or an unexpected status): a 5xx naming R2, never "not found". */
export class R2Error extends Error {
  constructor(message: string) {
    super(`R2: ${message}`);
    this.name = "R2Error";
  }
}

/** Runs a bucket call, turning any failure into an R2Error. */
async function r2<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof R2Error ? err : new R2Error(`${what}: ${(err as Error).message}`);
  }
}

export interface ObjectStore {
  /** The object's bytes (or `length` bytes from `offset`); null when there is no such key. */
  get(key: string, range?: { offset: number; length: number }): Promise<ArrayBuffer | null>;
  /** The object's size in bytes; null when there is no such key. */
  size(key: string): Promise<number | null>;
  put(key: string, data: Uint8Array | ArrayBuffer | string): Promise<void>;
  /** Every key under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  delete(keys: string[]): Promise<void>;
}

/** An R2 bucket binding, as deployed (and under miniflare). */
export function r2Store(bucket: R2Bucket): ObjectStore {
  return {
    get: (key, range) =>
      r2(`get ${key}`, async () => {
        const obj = await bucket.get(key, range ? { range } : undefined);
        return obj ? obj.arrayBuffer() : null;
      }),
    size: (key) => r2(`head ${key}`, async () => (await bucket.head(key))?.size ?? null),
    put: (key, data) => r2(`put ${key}`, async () => void (await bucket.put(key, data))),
    list: (prefix) =>
      r2(`list ${prefix}`, async () => {
        const keys: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await bucket.list({ prefix, cursor });
          keys.push(...page.objects.map((o) => o.key));
          cursor = page.truncated ? page.cursor : undefined;
        } while (cursor);
        return keys.sort();
      }),
    delete: (keys) =>
      r2(`delete ${keys.length} keys`, async () => {
        for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
      }),
  };
}

/** The local target's gateway to miniflare's R2 (GET/HEAD/PUT/DELETE /o/<key>, GET /list?prefix=). */
export function gatewayStore(gateway: Fetcher): ObjectStore {
  const url = (key: string) => `http://r2/o/${encodeURIComponent(key)}`;
  return {
    get: (key, range) =>
      r2(`get ${key}`, async () => {
        const res = await gateway.fetch(url(key), range ? { headers: { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } } : undefined);
        if (res.status === 404) return null;
        if (!res.ok) throw new R2Error(`get ${key}: HTTP ${res.status}`);
        return res.arrayBuffer();
      }),
    size: (key) =>
      r2(`head ${key}`, async () => {
        const res = await gateway.fetch(url(key), { method: "HEAD" });
        if (res.status === 404) return null;
        if (!res.ok) throw new R2Error(`head ${key}: HTTP ${res.status}`);
        return Number(res.headers.get("x-size"));
      }),
    put: (key, data) =>
      r2(`put ${key}`, async () => {
        const res = await gateway.fetch(url(key), { method: "PUT", body: data });
        if (!res.ok) throw new R2Error(`put ${key}: HTTP ${res.status}`);
      }),
    list: (prefix) =>
      r2(`list ${prefix}`, async () => {
        const res = await gateway.fetch(`http://r2/list?prefix=${encodeURIComponent(prefix)}`);
        if (!res.ok) throw new R2Error(`list ${prefix}: HTTP ${res.status}`);
        return ((await res.json()) as string[]).sort();
      }),
    delete: (keys) =>
      r2(`delete ${keys.length} keys`, async () => {
        for (const key of keys) {
          const res = await gateway.fetch(url(key), { method: "DELETE" });
          if (!res.ok && res.status !== 404) throw new R2Error(`delete ${key}: HTTP ${res.status}`);
        }
      }),
  };
}

/** A bucket that fails every call (the `r2-unavailable` fault): how a query meets an R2 outage. */
export function failingStore(): ObjectStore {
  const down = (what: string) => (key: string | string[]) => Promise.reject(new R2Error(`${what} ${Array.isArray(key) ? `${key.length} keys` : key}: the bucket is unavailable (fault r2-unavailable)`));
  return { get: down("get"), size: down("head"), put: down("put"), list: down("list"), delete: down("delete") };
}

/** What a query took from the bucket. */
export interface Reads {
  objects: number;
  bytes: number;
  /** Keys read, by kind of file: metadata (JSON, Avro) or data (Parquet). */
  metadataFiles: Set<string>;
  dataFiles: Set<string>;
}

export const noReads = (): Reads => ({ objects: 0, bytes: 0, metadataFiles: new Set(), dataFiles: new Set() });

/** `store` with every read added to `reads` (data files are those ending .parquet). */
export function counted(store: ObjectStore, reads: () => Reads): ObjectStore {
  const note = (key: string, bytes: number) => {
    const r = reads();
    r.objects++;
    r.bytes += bytes;
    (key.endsWith(".parquet") ? r.dataFiles : r.metadataFiles).add(key);
  };
  return {
    ...store,
    async get(key, range) {
      const out = await store.get(key, range);
      if (out) note(key, out.byteLength);
      return out;
    },
    async size(key) {
      const out = await store.size(key);
      note(key, 0);
      return out;
    },
  };
}

/** An object as hyparquet's AsyncBuffer (ranged reads of the bucket); null when there is no such key. */
export async function storeBuffer(store: ObjectStore, key: string): Promise<{ byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> } | null> {
  const size = await store.size(key);
  if (size === null) return null;
  return { byteLength: size, slice: async (start, end) => (await store.get(key, { offset: start, length: (end ?? size) - start })) ?? new ArrayBuffer(0) };
}
