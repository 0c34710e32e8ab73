// Shows the sobek bug behind the e2e/stores flake once seen: a WeakMap keyed by object address
// answers `has` for fresh objects allocated where a collected key was, until a deferred cleanup runs.
// test/integration/body-memo.test.ts runs it: the day it finds no stale hit, sobek is fixed.
export const options = { vus: 1, iterations: 1 };
export default function () {
  const wm = new WeakMap();
  let stale = 0;
  for (let i = 0; i < 1000000 && stale === 0; i++) {
    const o = { i };
    if (wm.has(o)) stale++;
    wm.set(o, i);
  }
  console.log(`weakmap stale hits: ${stale}`);
}
