// Plain-value helpers with no Workers types, so Node tests can import the Worker's pure modules.

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
