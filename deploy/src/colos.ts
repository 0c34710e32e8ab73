// The local colo model (contract §9's colo matrix), free of Workers types: where each colo is, and a
// deterministic round trip between two colos from the great-circle distance, at 100 km per ms of
// round trip (light in fibre covers ~200 km per ms one way; real routes add more, which this
// leaves out). On the local target `/colo-probe` and cross-colo `/do-call` wait that long, so a run
// on one machine shows the geography of a deployment, labelled as modelled; a real deployment
// measures the real network instead.

export const COLO_COORDINATES: Record<string, readonly [number, number]> = {
  IAD: [38.94, -77.46], EWR: [40.69, -74.17], ATL: [33.64, -84.43], MIA: [25.79, -80.29],
  SJC: [37.36, -121.93], LAX: [33.94, -118.41], SEA: [47.45, -122.31], PDX: [45.59, -122.6],
  LHR: [51.47, -0.45], CDG: [49.01, 2.55], DUB: [53.43, -6.25], AMS: [52.31, 4.76],
  FRA: [50.04, 8.56], MUC: [48.35, 11.79], VIE: [48.11, 16.57], ZRH: [47.46, 8.55],
  NRT: [35.77, 140.39], KIX: [34.43, 135.23], ICN: [37.46, 126.44],
  SIN: [1.36, 103.99], SYD: [-33.94, 151.18], HKG: [22.31, 113.91],
  GRU: [-23.44, -46.47], JNB: [-26.14, 28.25],
};

/** The nine colos of the contract's matrix: one per populated continent and then some. */
export const MATRIX_COLOS = ["IAD", "SJC", "GRU", "LHR", "FRA", "JNB", "SIN", "NRT", "SYD"] as const;

/** The local home colo: where "this object" is in the model. */
export const HOME_COLO = "IAD";

export function distanceKm(a: string, b: string): number | null {
  const p = COLO_COORDINATES[a.toUpperCase()];
  const q = COLO_COORDINATES[b.toUpperCase()];
  if (!p || !q) return null;
  const rad = Math.PI / 180;
  const dLat = (q[0] - p[0]) * rad;
  const dLon = (q[1] - p[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(p[0] * rad) * Math.cos(q[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The modelled round trip between two colos, in whole ms (0 within a colo). */
export function modelRttMs(a: string, b: string): number | null {
  const d = distanceKm(a, b);
  return d === null ? null : Math.round(d / 100);
}
