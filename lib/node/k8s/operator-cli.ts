// What k6-operator does with a TestRun's `arguments` before its initializer pod runs `k6 archive`,
// read from its source (grafana/k6-operator at e2c9571):
// - api/v1alpha1/testrun_types.go, TestRunSpec.Argv (line 254): `arguments` is split on white space
//   (strings.Fields): a flag and its value are separate words only when written so;
// - pkg/types/k6cli.go, ParseCLI (lines 20–86): every word starting with "-" takes the words after it
//   that do not start with "-" as its values. It drops `-o`/`--out` (only those exact words: `--out=x`
//   is one word and is kept), `-l`, `--linger`, `--no-usage-report`, `-v`, `--verbose`, and anything
//   starting with `--log-output`, `--block-hostnames`, `--blacklist-ip` or `--user-agent`, each with its
//   values; it keeps the rest for `k6 archive`. A word that is not a flag or a flag's value is an error;
// - internal/.../jobs/initializer.go, newInitializerCommand (lines 210–236): the initializer runs
//   `k6 archive <script> [-e NAME=value …] -O <archive> <kept words…>`, then
//   `k6 inspect --execution-requirements <archive>`; either failing puts the TestRun in error.
// A plain reading, not a copy: the rehearsal (rehearse.ts) runs the real k6 with what this returns.

const DROPPED_EXACT = new Set(["-o", "--out", "-l", "--linger", "--no-usage-report", "-v", "--verbose"]);
const DROPPED_PREFIX = ["--log-output", "--block-hostnames", "--blacklist-ip", "--user-agent"];

/** The TestRun's `arguments` as k6-operator splits them. */
export const operatorArgv = (args: string): string[] => args.split(/\s+/).filter((w) => w.length > 0);

/** The words k6-operator passes on to `k6 archive`; throws as k6-operator's validation does. */
export function archiveArgs(argv: readonly string[]): string[] {
  const kept: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i] as string;
    if (!word.startsWith("-")) throw new Error(`encountered an invalid value for k6 CLI argument: \`${word}\``);
    let end = i + 1;
    while (end < argv.length && !(argv[end] as string).startsWith("-")) end++;
    const dropped = DROPPED_EXACT.has(word) || DROPPED_PREFIX.some((p) => word.startsWith(p));
    if (!dropped) kept.push(...argv.slice(i, end));
    i = end;
  }
  return kept;
}
