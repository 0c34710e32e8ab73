// Where Iceberg tables live: an R2 bucket. A deployment binds one (`ICEBERG`, deploy/wrangler.jsonc);
// the embedded local target runs miniflare's local R2 beside workerd and reaches it through a small
// gateway Worker (`ICEBERG_STORE`, lib/node/target/r2-sidecar.ts), since workerd alone has no R2.
// Either way the reader sees one interface, and every read is counted: the pruning report says how
// many objects and bytes a query took from the bucket.

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
    async get(key, range) {
      const obj = await bucket.get(key, range ? { range } : undefined);
      return obj ? obj.arrayBuffer() : null;
    },
    async size(key) {
      return (await bucket.head(key))?.size ?? null;
    },
    async put(key, data) {
      await bucket.put(key, data);
    },
    async list(prefix) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys.sort();
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
    },
  };
}

/** The local target's gateway to miniflare's R2 (GET/HEAD/PUT/DELETE /o/<key>, GET /list?prefix=). */
export function gatewayStore(gateway: Fetcher): ObjectStore {
  const url = (key: string) => `http://r2/o/${encodeURIComponent(key)}`;
  return {
    async get(key, range) {
      const res = await gateway.fetch(url(key), range ? { headers: { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } } : undefined);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`R2 get ${key}: ${res.status}`);
      return res.arrayBuffer();
    },
    async size(key) {
      const res = await gateway.fetch(url(key), { method: "HEAD" });
      return res.status === 404 ? null : Number(res.headers.get("x-size"));
    },
    async put(key, data) {
      const res = await gateway.fetch(url(key), { method: "PUT", body: data });
      if (!res.ok) throw new Error(`R2 put ${key}: ${res.status}`);
    },
    async list(prefix) {
      const res = await gateway.fetch(`http://r2/list?prefix=${encodeURIComponent(prefix)}`);
      return ((await res.json()) as string[]).sort();
    },
    async delete(keys) {
      for (const key of keys) await gateway.fetch(url(key), { method: "DELETE" });
    },
  };
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
