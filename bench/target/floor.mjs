// The floor of npm run bench:target: a one-line Worker forwarding to a one-line Durable Object.
export class Floor { fetch() { return new Response("ok"); } }
export default { fetch: (request, env) => env.FLOOR.get(env.FLOOR.idFromName("floor")).fetch(request) };
