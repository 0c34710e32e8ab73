import type { RouterType } from "itty-router";
import { fail, json, readJson } from "../http";

/** `/ping` and `POST /echo` (contract §9): the cheapest round trips, the floor of every other figure. */
export function networkRoutes(router: RouterType, namespace: () => string): void {
  router.get("/ping", () => json({ ok: true, namespace: namespace(), ts: Date.now() }));
  router.post("/echo", async (request) => {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    if (body === undefined) return fail(400, "POST /echo needs a JSON body");
    return json(body);
  });
}
