// Graph algorithms over one object's edge list, free of Workers types so they are unit-testable in
// Node (test/unit/graph-algorithms.test.ts). Every one is bounded by its caller: the edges it reads
// (MAX_GRAPH_EDGES), its iterations, its samples; none allocates more than a few arrays of the node
// count. The web crawl graph (deploy/src/features/webgraph.ts) runs them inside its object.

export interface Edge {
  from: string;
  to: string;
  weight: number;
}

/** A graph as index arrays: node names, and each edge's source and target index. */
export interface Indexed {
  nodes: string[];
  src: Int32Array;
  dst: Int32Array;
}

export function indexed(edges: readonly Edge[]): Indexed {
  const ids = new Map<string, number>();
  const idOf = (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = ids.size));
    return id;
  };
  const src = new Int32Array(edges.length);
  const dst = new Int32Array(edges.length);
  edges.forEach((e, i) => ((src[i] = idOf(e.from)), (dst[i] = idOf(e.to))));
  return { nodes: [...ids.keys()], src, dst };
}

export interface PageRankResult {
  scores: Float64Array;
  iterations: number;
  /** The L1 change of the last iteration. */
  delta: number;
  converged: boolean;
}

/**
 * PageRank by power iteration: each node keeps (1 − d)/N and passes d × its score along its out-edges
 * in equal shares; a node without out-edges spreads its share over all nodes. Scores sum to 1.
 * Starts from `start` (its length must be the node count) or the uniform 1/N.
 */
export function pageRank(g: Indexed, options: { damping: number; maxIterations: number; tolerance: number; start?: Float64Array }): PageRankResult {
  const n = g.nodes.length;
  if (n === 0) return { scores: new Float64Array(0), iterations: 0, delta: 0, converged: true };
  const out = new Int32Array(n);
  for (const s of g.src) out[s] = (out[s] ?? 0) + 1;
  let scores = options.start && options.start.length === n ? Float64Array.from(options.start) : new Float64Array(n).fill(1 / n);
  let delta = Infinity;
  let iterations = 0;
  while (iterations < options.maxIterations && delta > options.tolerance) {
    const next = new Float64Array(n);
    let dangling = 0;
    for (let i = 0; i < n; i++) if (out[i] === 0) dangling += scores[i] as number;
    for (let e = 0; e < g.src.length; e++) {
      const s = g.src[e] as number;
      next[g.dst[e] as number] = (next[g.dst[e] as number] as number) + (scores[s] as number) / (out[s] as number);
    }
    const base = (1 - options.damping) / n + (options.damping * dangling) / n;
    delta = 0;
    for (let i = 0; i < n; i++) {
      const v = base + options.damping * (next[i] as number);
      delta += Math.abs(v - (scores[i] as number));
      next[i] = v;
    }
    scores = next;
    iterations++;
  }
  return { scores, iterations, delta, converged: delta <= options.tolerance };
}

export interface HitsResult {
  hubs: Float64Array;
  authorities: Float64Array;
  iterations: number;
  delta: number;
  converged: boolean;
}

/** HITS (Kleinberg): a node's authority is the sum of its linkers' hub scores, its hub score the sum of its targets' authorities; both L2-normalised each round. */
export function hits(g: Indexed, options: { maxIterations: number; tolerance: number; start?: { hubs: Float64Array; authorities: Float64Array } }): HitsResult {
  const n = g.nodes.length;
  let hubs: Float64Array = options.start?.hubs.length === n ? Float64Array.from(options.start.hubs) : new Float64Array(n).fill(1);
  let authorities: Float64Array = options.start?.authorities.length === n ? Float64Array.from(options.start.authorities) : new Float64Array(n).fill(1);
  let delta = Infinity;
  let iterations = 0;
  const normalise = (v: Float64Array): Float64Array => {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
    return v;
  };
  while (iterations < options.maxIterations && delta > options.tolerance) {
    const auth = new Float64Array(n);
    for (let e = 0; e < g.src.length; e++) auth[g.dst[e] as number] = (auth[g.dst[e] as number] as number) + (hubs[g.src[e] as number] as number);
    const nextAuth = normalise(auth);
    const hub = new Float64Array(n);
    for (let e = 0; e < g.src.length; e++) hub[g.src[e] as number] = (hub[g.src[e] as number] as number) + (nextAuth[g.dst[e] as number] as number);
    const nextHubs = normalise(hub);
    delta = 0;
    for (let i = 0; i < n; i++) delta += Math.abs((nextAuth[i] as number) - (authorities[i] as number)) + Math.abs((nextHubs[i] as number) - (hubs[i] as number));
    hubs = nextHubs;
    authorities = nextAuth;
    iterations++;
  }
  return { hubs, authorities, iterations, delta, converged: delta <= options.tolerance };
}

/** Weakly connected components (union-find with path halving): each node's component, numbered from 0 by first appearance. */
export function components(g: Indexed): Int32Array {
  const n = g.nodes.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x] as number] as number;
    return x;
  };
  for (let e = 0; e < g.src.length; e++) {
    const a = find(g.src[e] as number);
    const b = find(g.dst[e] as number);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const label = new Map<number, number>();
  return Int32Array.from({ length: n }, (_, i) => {
    const root = find(i);
    let l = label.get(root);
    if (l === undefined) label.set(root, (l = label.size));
    return l;
  });
}

/**
 * Label propagation (Raghavan et al.), deterministic: every node starts in a cluster of its own and,
 * for `rounds` rounds in node order, takes the label most common among its neighbours on the chosen
 * side (`in`: the nodes linking to it, co-cited pages cluster; `out`: the nodes it links to), the
 * smallest on a tie. Returns each node's cluster label.
 */
export function labelPropagation(g: Indexed, side: "in" | "out", rounds: number): Int32Array {
  const n = g.nodes.length;
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  const neighbours: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < g.src.length; e++) {
    const [a, b] = side === "in" ? [g.dst[e] as number, g.src[e] as number] : [g.src[e] as number, g.dst[e] as number];
    (neighbours[a] as number[]).push(b);
  }
  for (let r = 0; r < rounds; r++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      const around = neighbours[i] as number[];
      if (around.length === 0) continue;
      const counts = new Map<number, number>();
      for (const j of around) counts.set(labels[j] as number, (counts.get(labels[j] as number) ?? 0) + 1);
      let best = labels[i] as number;
      let bestCount = 0;
      for (const [label, count] of counts) if (count > bestCount || (count === bestCount && label < best)) [best, bestCount] = [label, count];
      if (best !== labels[i]) ((labels[i] = best), (changed = true));
    }
    if (!changed) break;
  }
  return labels;
}

/** Hops from `from` to every node reachable along out-edges (breadth first), -1 where unreachable; stops after `maxHops`. */
export function hops(g: Indexed, from: number, maxHops = Infinity): Int32Array {
  const n = g.nodes.length;
  const starts = new Int32Array(n + 1);
  for (const s of g.src) starts[s + 1] = (starts[s + 1] as number) + 1;
  for (let i = 0; i < n; i++) starts[i + 1] = (starts[i + 1] as number) + (starts[i] as number);
  const fill = starts.slice(0, n);
  const adj = new Int32Array(g.src.length);
  for (let e = 0; e < g.src.length; e++) {
    const s = g.src[e] as number;
    adj[fill[s] as number] = g.dst[e] as number;
    fill[s] = (fill[s] as number) + 1;
  }
  const dist = new Int32Array(n).fill(-1);
  dist[from] = 0;
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    if ((dist[v] as number) >= maxHops) continue;
    for (let k = starts[v] as number; k < (starts[v + 1] as number); k++) {
      const w = adj[k] as number;
      if (dist[w] === -1) ((dist[w] = (dist[v] as number) + 1), queue.push(w));
    }
  }
  return dist;
}

/** The registrable domain of a host: its last two labels, or three under a two-level public suffix (`co.uk`). */
export function registeredDomain(host: string): string {
  const labels = host.split(".");
  const keep = labels.length >= 3 && TWO_LEVEL.has(labels.slice(-2).join(".")) ? 3 : 2;
  return labels.slice(-keep).join(".");
}

/** The public suffix of a host: `uk` for `a.co.uk` is `co.uk`; otherwise the last label. */
export function tldOf(host: string): string {
  const labels = host.split(".");
  return labels.length >= 3 && TWO_LEVEL.has(labels.slice(-2).join(".")) ? labels.slice(-2).join(".") : (labels[labels.length - 1] ?? "");
}

// The two-level suffixes a crawl meets most; not the whole Public Suffix List (that would be ~200 KB
// in every object), so `tldOf` of a rarer one names its last label.
const TWO_LEVEL = new Set(["co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "ne.jp", "co.nz", "com.br", "co.in", "com.cn", "co.kr", "com.mx", "co.za"]);

/** The host of a URL (lower case, no port), or null for anything that is not an http(s) URL. */
export function hostOfUrl(url: string): string | null {
  const m = /^https?:\/\/([^/?#:@\s]+)(?::\d+)?(?:[/?#]|$)/i.exec(url);
  return m ? (m[1] as string).toLowerCase().replace(/\.$/, "") : null;
}
