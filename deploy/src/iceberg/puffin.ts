// Puffin, Iceberg's file format for statistics and indexes beside a table's data files, as its spec
// lays it out (format version 1, uncompressed):
//
//   Magic Blob₁ … Blobₙ Footer
//   Footer: Magic FooterPayload FooterPayloadSize Flags Magic
//
// Magic is the four bytes "PFA1"; FooterPayload is UTF-8 JSON ({blobs: [{type, fields, snapshot-id,
// sequence-number, offset, length, properties?}], properties?}); FooterPayloadSize a 4-byte
// little-endian integer; Flags four bytes, all clear (the payload is not compressed). A blob's offset
// and length are in bytes from the start of the file. Free of Workers types so Node tests read it too.

export const MAGIC = new Uint8Array([0x50, 0x46, 0x41, 0x31]);

export interface PuffinBlob {
  type: string;
  fields: number[];
  snapshotId: number;
  sequenceNumber: number;
  data: Uint8Array;
  properties?: Record<string, string>;
}

export interface BlobMetadata {
  type: string;
  fields: number[];
  "snapshot-id": number;
  "sequence-number": number;
  offset: number;
  length: number;
  properties?: Record<string, string>;
}

export function writePuffin(blobs: PuffinBlob[], properties: Record<string, string> = {}): { bytes: Uint8Array; footer: { blobs: BlobMetadata[]; properties: Record<string, string> } } {
  const meta: BlobMetadata[] = [];
  let offset = MAGIC.length;
  for (const b of blobs) {
    meta.push({ type: b.type, fields: b.fields, "snapshot-id": b.snapshotId, "sequence-number": b.sequenceNumber, offset, length: b.data.length, ...(b.properties ? { properties: b.properties } : {}) });
    offset += b.data.length;
  }
  const footer = { blobs: meta, properties };
  const payload = new TextEncoder().encode(JSON.stringify(footer));
  const bytes = new Uint8Array(offset + MAGIC.length + payload.length + 4 + 4 + MAGIC.length);
  bytes.set(MAGIC, 0);
  let at = MAGIC.length;
  for (const b of blobs) {
    bytes.set(b.data, at);
    at += b.data.length;
  }
  bytes.set(MAGIC, at);
  bytes.set(payload, (at += MAGIC.length));
  const view = new DataView(bytes.buffer);
  view.setInt32((at += payload.length), payload.length, true);
  view.setInt32(at + 4, 0, true); // flags: none (uncompressed footer)
  bytes.set(MAGIC, at + 8);
  return { bytes, footer };
}

const isMagic = (b: Uint8Array, at: number): boolean => MAGIC.every((m, i) => b[at + i] === m);

/** The footer of a Puffin file, or a one-line reason it is not one. */
export function readPuffinFooter(bytes: Uint8Array): { blobs: BlobMetadata[]; properties?: Record<string, string> } | string {
  if (bytes.length < 16 || !isMagic(bytes, 0) || !isMagic(bytes, bytes.length - 4)) return "no Puffin magic (PFA1) at the start and the end";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getInt32(bytes.length - 12, true);
  const flags = view.getInt32(bytes.length - 8, true);
  if (flags & 1) return "the footer is compressed (LZ4), which this reader does not read";
  const start = bytes.length - 12 - size;
  if (size < 0 || start < 8 || !isMagic(bytes, start - 4)) return "the footer's size does not lead to its magic";
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + size))) as { blobs: BlobMetadata[] };
  } catch {
    return "the footer payload is not JSON";
  }
}
