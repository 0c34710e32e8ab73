// Exit codes are part of the CLI's contract (docs/troubleshooting.md, "Exit codes"); scripts and CI branch on them.

export const EXIT = {
  ok: 0,
  /** A bug or an unexpected failure: the message says what. */
  internal: 1,
  /** Bad input: unknown scenario, invalid thresholds file, bad flag, target not allowed. No k6 started. */
  usage: 2,
  /** `--gate` and at least one threshold was breached. */
  thresholds: 3,
  /** No k6 of the pinned version could be found or built. */
  k6Missing: 4,
  /** k6 itself failed (script error, aborted run) or the local target would not start. */
  runFailed: 5,
  /** A pinned Go tool (actionlint, kubeconform, under tools/) could not be found or built. */
  toolMissing: 6,
  /** `perfdo deploy`: wrangler refused or failed (its own message is printed above perfdo's line). */
  deployFailed: 7,
  /** The history could not be appended to (the disk is full, no permission): nothing of the run was written, the history is as it was. */
  historyWrite: 8,
  /** Stopped by SIGINT (Ctrl-C): k6 stopped gracefully, what it measured is kept, marked interrupted. */
  interrupted: 130,
  /** Stopped by SIGTERM (a CI runner's cancel): as for SIGINT. */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as one line and turns into its exit code. */
export class PerfdoError extends Error {
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
    this.name = "PerfdoError";
  }
}

export const inputError = (message: string): PerfdoError => new PerfdoError(message, EXIT.usage);
