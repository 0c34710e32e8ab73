import type { IRequest } from "itty-router";
import { s as v } from "../input";
import { refuse } from "../http";
import type { ObjectStore } from "./store";

// What the Iceberg index routes share: the name of an index (`namespace` in a body, `X-Namespace`
// or `?namespace=` on a GET: many named indexes live in one object), the bucket locations they
// persist to and load from, and base64 for bytes carried in JSON.

export const INDEX_NAME = /^[\w.:@-]{1,128}$/;
export const IndexName = v.string({ pattern: INDEX_NAME, expected: "an index name (1-128 letters, digits, _ . : @ -)" });

/** A GET's query naming its index (`?namespace=`). */
export const IndexQuery = { namespace: v.optional(IndexName) };

/** The index a GET names: `X-Namespace`, then `?namespace=` (declared as IndexQuery), then "default". */
export function indexNameOf(request: IRequest, query: { namespace?: string }): string {
  const name = request.headers.get("x-namespace") ?? query.namespace ?? "default";
  return INDEX_NAME.test(name) ? name : refuse(400, `${request.method} ${new URL(request.url).pathname}: index name ${JSON.stringify(name.slice(0, 40))} is not 1-128 letters, digits, _ . : @ -`);
}

// Indexes and manifests go to the bucket under these prefixes only: a destination can never
// overwrite an Iceberg table's files (warehouse/…).
const WRITABLE = ["indexes/", "manifests/"];
const LOCATION = /^r2:\/\/((?:[\w.-]+\/)*[\w.-]+)$/;
export const Location = v.string({ max: 512, pattern: LOCATION, expected: "r2://indexes/… or r2://manifests/… of at most 512 characters (letters, digits, _ . - and /)" });

/** The bucket key of an `r2://indexes/…` or `r2://manifests/…` location, or the 400 saying why not. */
export function keyOfLocation(location: string, route: string): string {
  const key = LOCATION.exec(location)?.[1];
  if (!key || key.split("/").some((part) => part === "." || part === "..")) return refuse(400, `${route}: ${location.slice(0, 80)} is not an r2:// location`);
  if (!WRITABLE.some((p) => key.startsWith(p))) return refuse(400, `${route}: ${location.slice(0, 80)} is outside ${WRITABLE.map((p) => `r2://${p}`).join(" and ")}`);
  return key;
}

export const NO_BUCKET = "no R2 bucket is bound (ICEBERG)";

/** The object at `key` as bytes (the 404/503 answer thrown). */
export async function readLocation(store: ObjectStore | null, key: string, route: string): Promise<Uint8Array> {
  if (!store) return refuse(503, NO_BUCKET);
  const bytes = await store.get(key);
  return bytes ? new Uint8Array(bytes) : refuse(404, `${route}: nothing at r2://${key}`);
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array | null {
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Writes `data` at an `r2://indexes/…` or `r2://manifests/…` location: its key (the 400/503 answer thrown). */
export async function writeLocation(store: ObjectStore | null, location: string, data: Uint8Array | string, route: string): Promise<string> {
  const key = keyOfLocation(location, route);
  if (!store) return refuse(503, NO_BUCKET);
  await store.put(key, data);
  return key;
}

/** The JSON at a location (the 400/404/503 answer thrown; 400 naming the location when it is not JSON). */
export async function readJsonLocation(store: ObjectStore | null, location: string, route: string): Promise<unknown> {
  const bytes = await readLocation(store, keyOfLocation(location, route), route);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return refuse(400, `${route}: ${location.slice(0, 80)} is not JSON`);
  }
}
