// A workflow: steps run in order on a value (`set`, `add`, `multiply`, `append`, `uppercase`,
// `fail`). Pure: deploy/src/features/workflows.ts stores and runs them.

export type Step = { name?: string; type: string; value?: unknown };

/** Runs steps in order on a value; a `fail` step stops the workflow with its message. */
export function runSteps(steps: Step[], input: unknown): { output: unknown; trace: Array<{ step: string; output: unknown }> } | { error: string; failedStep: string } {
  let v: unknown = input;
  const trace: Array<{ step: string; output: unknown }> = [];
  for (const [i, s] of steps.entries()) {
    const name = s.name ?? `${s.type}-${i}`;
    switch (s.type) {
      case "set": v = s.value; break;
      case "add": v = Number(v) + Number(s.value ?? 1); break;
      case "multiply": v = Number(v) * Number(s.value ?? 1); break;
      case "append": v = [...(Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]), s.value]; break;
      case "uppercase": v = String(v).toUpperCase(); break;
      case "echo": break;
      case "fail": return { error: String(s.value ?? `step ${name} failed`), failedStep: name };
      default: return { error: `unknown step type ${s.type}`, failedStep: name };
    }
    trace.push({ step: name, output: v });
  }
  return { output: v, trace };
}
