// echo.perf.do (contract §9), one place for its paths and bodies: used by e2e/network, network/echo,
// network/baseline, network/colo-matrix and the WebSocket scenarios (its socket URL).

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";
import { hostFor, type Target } from "../target";

export interface DoCall { target: string; affinity?: "same-colo" | "cross-colo"; targetColo?: string; via?: "worker" | "rpc" }

export function networkApi(c: NamespaceClient) {
  return {
    ping: (name = "echo.ping", meta?: OperationMeta): JsonResponse => c.get(name, "/ping", meta),
    /** POST /echo: `payload` comes back unchanged. */
    echo: (payload: string, name: string): JsonResponse => c.post(name, "/echo", payload),
    /** This object calls the `target` namespace's object (by RPC, or `via: "worker"` through the Worker). */
    doCall: (body: DoCall, name: string): JsonResponse => c.post(name, "/do-call", body),
    /** One cell of the colo matrix: as if from `source` (cf-ipcolo) to `dest` (X-Target-Colo). */
    coloProbe: (source: string, dest: string, name = `colo.${source}-${dest}`): JsonResponse =>
      c.get(name, `/colo-probe?target=${dest}`, { colo: source, headers: { "X-Target-Colo": dest } }),
  };
}

/** The echo WebSocket's URL on `target` (`/ws` of the echo namespace). */
export const echoSocketUrl = (target: Target): string => `${target.scheme === "https" ? "wss" : "ws"}://${hostFor(target, "echo")}/ws`;

/** The host a DO-to-DO call names for a namespace, as the object resolves it (`<ns>.<base domain>`). */
export const peerHost = (target: Target, namespace: string): string => `${namespace}.${target.baseDomain}`;
