// Request bodies of an exact size, built once at init (never per request).

/** A JSON document `{"data":"xxx…"}` of exactly `bytes` bytes (minimum 12). */
export function jsonOfSize(bytes: number): string {
  const overhead = '{"data":""}'.length;
  if (bytes < overhead + 1) throw new Error(`payload size ${bytes} is below the ${overhead + 1}-byte minimum`);
  return `{"data":"${"x".repeat(bytes - overhead)}"}`;
}
