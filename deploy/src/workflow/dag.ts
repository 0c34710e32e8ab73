// DAGs: nodes in topological levels, cycles and unknown dependencies refused. Pure.

/** Topological levels of a DAG (nodes of a level depend only on earlier levels), or the nodes of a cycle. */
export function levelsOf(nodes: Array<{ id: string; dependsOn: string[] }>): string[][] | { cycle: string[] } | { unknown: string } {
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) for (const d of n.dependsOn) if (!ids.has(d)) return { unknown: `${n.id} depends on ${d}, which is not a node` };
  const remaining = new Map(nodes.map((n) => [n.id, new Set(n.dependsOn)]));
  const levels: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([id]) => id).sort();
    if (ready.length === 0) return { cycle: [...remaining.keys()].sort() };
    levels.push(ready);
    for (const id of ready) remaining.delete(id);
    for (const deps of remaining.values()) for (const id of ready) deps.delete(id);
  }
  return levels;
}
