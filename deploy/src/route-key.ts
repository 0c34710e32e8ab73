// Collapses concrete paths to route patterns so request counts stay bounded and comparable with the
// operation names scenarios report: `GET /things/3f2a…` and `GET /things/42` are both `/things/:id`.

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{16,}|[a-z]+[-_][0-9a-z-_]*\d[0-9a-z-_]*)$/i;

export function routeKey(method: string, pathname: string): string {
  const pattern = pathname
    .split("/")
    .map((segment) => (ID_SEGMENT.test(segment) ? ":id" : segment))
    .join("/");
  return `${method.toUpperCase()} ${pattern}`;
}
