// One request per iteration, the smallest scenario there is: GET /ping on calibration.perf.do.
// Run against a calibration target (`lib/node/calibrate/server.ts`), whose own log is the truth the
// harness's percentiles are checked against, and by `npm run bench:overhead` against a bare k6 script.

import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain" });

const calibration = namespaceClient(target, "calibration");
/** PERFDO_PING_METHOD=POST: the same request as a POST (one Go does not resend by itself). */
const post = __ENV.PERFDO_PING_METHOD === "POST";

export default function (): void {
  if (post) calibration.post("calibration.ping", "/ping", { ping: 1 });
  else calibration.get("calibration.ping", "/ping");
}
