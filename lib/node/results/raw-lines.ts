import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";

// Raw output files as lines of bytes, shared by both readers (k6's JSON output, k6-output.ts, and the
// perfdo output, perfdo-output.ts), so neither imports the other.

/** Splits a byte stream into lines without decoding them; `onLine` gets [start, end) of each. */
export async function forEachLine(input: AsyncIterable<Buffer>, onLine: (buf: Buffer, start: number, end: number) => void, options: { dropUnfinished?: boolean } = {}): Promise<void> {
  const emit = (buf: Buffer, start: number, nl: number): void => {
    const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
    if (end > start) onLine(buf, start, end);
  };
  let carry: Buffer | null = null; // the unfinished last line of the previous chunk (small)
  for await (const chunk of input) {
    let start = 0;
    if (carry) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const line = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      emit(line, 0, line.length - 1);
      carry = null;
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      emit(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start)); // copy: the chunk is not kept alive
  }
  // A last line with no newline: kept, unless the writer was cut off mid-line (dropUnfinished).
  if (carry && carry.length > 0 && !options.dropUnfinished) onLine(carry, 0, carry.length);
}

const CHUNK = 1 << 20;

/**
 * Plain files are read into two reused buffers, the next read running while the current chunk is
 * processed: I/O overlaps parsing as with a stream, but no chunk is allocated (or collected) per
 * megabyte. The consumer handles each chunk's lines before asking for the next, so reuse is safe.
 */
async function* plainChunks(path: string): AsyncGenerator<Buffer> {
  const file = await open(path, "r");
  try {
    let ready = Buffer.allocUnsafe(CHUNK);
    let spare = Buffer.allocUnsafe(CHUNK);
    let pending = file.read(ready, 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      pending = file.read(spare, 0, CHUNK, null);
      yield ready.subarray(0, bytesRead);
      [ready, spare] = [spare, ready];
    }
  } finally {
    await file.close();
  }
}

/** The file's bytes, gunzipped when its name ends in .gz. */
export function rawChunks(path: string): AsyncIterable<Buffer> {
  return path.endsWith(".gz") ? createReadStream(path, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK })) : plainChunks(path);
}
