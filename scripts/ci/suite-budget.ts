// scripts/ci/full-suite.sh, before anything runs: does a dispatched profile's suite fit in the job?
// `node --import tsx scripts/ci/suite-budget.ts <profile> <scenario count>` exits 2 with one line when
// the scenarios, one after another at the profile's default duration plus a minute each for build,
// start and post-processing, would run past PERFDO_CI_BUDGET_MINUTES (default 70: the job's 90 minus
// time to install, report and commit). A job that times out records nothing, so it is refused first.
import { DEFAULTS, isProfileName } from "../../lib/k6/profile";
import { parseDuration } from "../../lib/k6/duration";

const [profile, countText] = process.argv.slice(2);
const count = Number(countText);
const budget = Number(process.env.PERFDO_CI_BUDGET_MINUTES ?? 70);
if (!profile || !isProfileName(profile) || !Number.isInteger(count) || count < 1) {
  console.error(`suite-budget: usage: suite-budget.ts <profile> <scenario count> (got ${process.argv.slice(2).join(" ") || "nothing"})`);
  process.exit(2);
}
const minutes = count * (parseDuration(DEFAULTS[profile].duration) / 60 + 1);
if (minutes > budget) {
  console.error(
    `full suite: ${count} scenarios under "${profile}" take about ${Math.ceil(minutes)} min, more than the job's ${budget} min budget; ` +
      `name fewer scenarios (the scenarios input) or dispatch once per group`,
  );
  process.exit(2);
}
console.log(`full suite: ${count} scenarios under "${profile}", about ${Math.ceil(minutes)} of ${budget} min`);
