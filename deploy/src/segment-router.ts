import { Router, type RouterType } from "itty-router";

// One object serves ~300 routes, and itty-router tries them in order, a regular expression each:
// for a route registered late (the things store) that was a few hundred tests per request, most of
// the local target's CPU above its floor after miniflare's own hop (npm run bench:target). This keeps
// itty-router's matching and order but, per first path segment, builds (once, on first use) a router
// of only the routes that can match a path starting with that segment: those whose first segment is
// the same word, and those whose first segment is a parameter or a wildcard, in their original order.
// So which route answers a request is exactly what one router of all routes would pick.

const METHODS = ["get", "post", "put", "patch", "delete", "all"] as const;
type Method = (typeof METHODS)[number];
type Handler = (...args: never[]) => unknown;

interface Registration {
  method: Method;
  path: string;
  handlers: Handler[];
  /** The first segment, or null when it matches more than one word (holds a parameter or a wildcard, or is the root). */
  first: string | null;
}

const firstSegment = (path: string): string => {
  const end = path.indexOf("/", 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
};

const literalFirst = (path: string): string | null => {
  const first = firstSegment(path);
  // a parameter anywhere in it (`/table:n`) makes it match more than one word
  return first === "" || first.includes(":") || first.includes("*") || first.includes("?") ? null : first;
};

export interface SegmentRouter {
  /** The registering side, as itty-router's: `router.get(path, ...handlers)`. */
  readonly register: RouterType;
  fetch(request: Request): Promise<unknown>;
}

export function segmentRouter(): SegmentRouter {
  const routes: Registration[] = [];
  const bySegment = new Map<string, RouterType>();
  const facade: Record<string, unknown> = {};
  for (const method of METHODS) {
    facade[method] = (path: string, ...handlers: Handler[]) => {
      routes.push({ method, path, handlers, first: literalFirst(path) });
      bySegment.clear(); // registered after first use (never, in practice): rebuild
      literals = null;
      return facade;
    };
  }
  // Segments no route names share one router (of the parameter and wildcard routes), so paths a
  // client makes up cannot grow this map.
  let literals: Set<string> | null = null;
  const routerFor = (requested: string): RouterType => {
    literals ??= new Set(routes.flatMap((r) => (r.first === null ? [] : [r.first])));
    const segment = literals.has(requested) ? requested : "";
    let router = bySegment.get(segment);
    if (!router) {
      router = Router();
      for (const r of routes) if (r.first === null || (segment !== "" && r.first === segment)) (router[r.method] as (path: string, ...h: Handler[]) => unknown)(r.path, ...r.handlers);
      bySegment.set(segment, router);
    }
    return router;
  };
  return {
    register: facade as unknown as RouterType,
    fetch: (request: Request) => {
      // The path's first segment, read off the URL without parsing it (per request: no array, one slice).
      const url = request.url;
      const start = url.indexOf("/", url.indexOf("//") + 2);
      if (start < 0) return routerFor("").fetch(request);
      let end = start + 1;
      while (end < url.length && url[end] !== "/" && url[end] !== "?" && url[end] !== "#") end++;
      return routerFor(url.slice(start + 1, end)).fetch(request);
    },
  };
}
