// Types for the parts of hyparquet and icebird imported by path (their package exports allow it;
// their .d.ts files are not mapped for these paths).
declare module "hyparquet/src/filter.js" {
  export function canSkipRowGroup(options: { rowGroup: unknown; physicalColumns: string[]; filter: unknown; strict?: boolean; bloomFilters?: unknown; schemaElements?: unknown }): boolean;
}
declare module "hyparquet/src/plan.js" {
  export function prefetchBloomFilters(options: { file: unknown; metadata: unknown; filter: unknown; filterStrict?: boolean }): Promise<unknown[]>;
}
declare module "icebird/src/avro/avro.write.js" {
  export function avroWrite(options: { writer: unknown; schema: unknown; records: unknown[]; blockSize?: number }): void;
}
declare module "icebird/src/avro/avro.read.js" {
  export function avroRead(options: { reader: { view: DataView; offset: number }; metadata: unknown; syncMarker: unknown }): unknown[];
}
declare module "icebird/src/avro/avro.metadata.js" {
  export function avroMetadata(reader: { view: DataView; offset: number }): { metadata: unknown; syncMarker: unknown };
}
