// Contract assertions in E2E scenarios. Each is a k6 check named "<area>: <expectation>", so a
// failure says which behaviour broke and the run's check table counts them per area.

import { check } from "k6";
import { bodyJson, type JsonResponse } from "./client";

export function expect(area: string, expectation: string, ok: boolean): boolean {
  return check(null, { [`${area}: ${expectation}`]: () => ok }, { area });
}

/** The JSON body as a loosely typed record (E2E code reads fields it then checks). */
export function body<T = Record<string, unknown>>(res: JsonResponse): T {
  return (bodyJson(res) ?? {}) as T;
}
