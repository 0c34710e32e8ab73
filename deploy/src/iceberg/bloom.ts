import { ByteWriter } from "hyparquet-writer/src/bytewriter.js";
import { sbbfContains, sbbfInsert, writeBloomFilter } from "hyparquet-writer/src/bloom.js";
import { readBloomFilter } from "hyparquet/src/bloom.js";
import { xxhash64 } from "hyparquet/src/xxhash.js";

// Bloom filters as Parquet writes them (and Iceberg reads them from Parquet files and Puffin blobs):
// the split block bloom filter (32-byte blocks of eight 32-bit words, one bit set per word) over the
// 64-bit xxHash of a value's plain encoding, a string's UTF-8 bytes. The filter itself, its hashing
// and its bytes (a Thrift BloomFilterHeader then the blocks) are hyparquet's and hyparquet-writer's,
// the libraries the Iceberg tables here are written and read with; this module only sizes a filter
// and turns strings into hashes.
//
// Sizing is parquet-java's: m = -8·n / ln(1 − p^(1/8)) bits for n values at false-positive rate p,
// rounded up to whole 32-byte blocks. parquet-java then rounds to a power of two (for Arrow C++'s
// reader); that would spend up to twice the bits, so a filter here keeps the block count the formula
// asks for, which the format allows (a block is chosen by multiplying the hash by the block count).

const encoder = new TextEncoder();
export const MAX_FILTER_BYTES = 1 << 20;

/** The 64-bit hash a Parquet bloom filter uses for a string value. */
export const hashString = (value: string): bigint => xxhash64(encoder.encode(value));

/** Bytes of a filter for `n` values at false-positive rate `fpr`: whole blocks, at least one, at most MAX_FILTER_BYTES. */
export function filterBytes(n: number, fpr: number): number {
  const bits = (-8 * Math.max(n, 1)) / Math.log(1 - fpr ** (1 / 8));
  return Math.min(MAX_FILTER_BYTES, Math.max(32, Math.ceil(bits / 8 / 32) * 32));
}

export class Bloom {
  constructor(readonly blocks: Uint32Array) {}

  static sized(n: number, fpr: number): Bloom {
    return new Bloom(new Uint32Array(filterBytes(n, fpr) / 4));
  }

  add(value: string): void {
    sbbfInsert(this.blocks, hashString(value));
  }

  has(value: string): boolean {
    return sbbfContains(this.blocks, hashString(value));
  }

  get sizeBytes(): number {
    return this.blocks.byteLength;
  }

  /** The fraction of bits set: the filter's fill, from which its false-positive rate follows. */
  fill(): number {
    let set = 0;
    for (const w of this.blocks) {
      let x = w;
      while (x) {
        x &= x - 1;
        set++;
      }
    }
    return set / (this.blocks.length * 32);
  }

  /** Parquet's bytes for the filter: its Thrift BloomFilterHeader, then the blocks. */
  serialize(): Uint8Array {
    const writer = new ByteWriter();
    writeBloomFilter(writer, this.blocks);
    return new Uint8Array(writer.getBuffer());
  }

  /** A filter from Parquet's bytes; null when they are not a split block filter with xxHash, uncompressed. */
  static deserialize(bytes: Uint8Array): Bloom | null {
    try {
      const read = readBloomFilter({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 });
      return read && read.numBytes <= MAX_FILTER_BYTES ? new Bloom(read.blocks) : null;
    } catch {
      return null;
    }
  }
}

/** The character n-grams of a value (the value itself when shorter than n), for substring tests. */
export function ngrams(value: string, n: number): string[] {
  const chars = Array.from(value.toLowerCase());
  if (chars.length <= n) return [chars.join("")];
  const out = new Set<string>();
  for (let i = 0; i + n <= chars.length; i++) out.add(chars.slice(i, i + n).join(""));
  return [...out];
}
