// Stands in for isomorphic-unfetch (esbuild and wrangler alias it here): wtf_wikipedia imports it
// for fetching pages from a wiki's API, which the Worker never does (it parses wikitext it is sent),
// and the package resolves to node-fetch, which needs Node's https and zlib.
export default function unfetch(): never {
  throw new Error("wtf_wikipedia fetches nothing in this Worker: send the wikitext");
}
