// Stands in for hyparquet-compressors (esbuild and wrangler alias it here): icebird's Avro reader
// imports its gunzip for deflate-coded Avro, but every manifest here is written uncompressed, and
// the real package (snappy as WASM, zstd, brotli) was 120 KB of the Worker's bundle, minified.
export function gunzip(): never {
  throw new Error("compressed Avro is not read here: this Worker writes its manifests uncompressed");
}
