// Bundles every scenarios/**/*.ts into one self-contained k6 script in build/, and the reference
// Worker in deploy/ into build/deploy/worker.mjs. Run it directly (`node esbuild.config.mjs`) or
// through `perfdo build`; both validate thresholds first and compile them into each script's options.

import { build } from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const ROOT = dirname(fileURLToPath(import.meta.url));

// Node-side modules written in TypeScript (threshold schemas, catalog) load through tsx.
register();
const { listScenarios } = await import("./lib/node/build/catalog.ts");
const { loadThresholds } = await import("./lib/node/thresholds/load.ts");
const { DEFAULT_THRESHOLDS } = await import("./lib/node/thresholds/schema.ts");
const { compileThresholds } = await import("./lib/node/thresholds/compile.ts");

/** Packages that must never reach a k6 script: every VU would parse them. */
const NODE_ONLY = /node_modules\/(zod|commander|miniflare|esbuild|cli-table3|tsx)\//;

/**
 * Node built-ins that npm packages meant for both Node and browsers name in branches k6 never runs
 * (papaparse's `require("stream")`, for Node stream input only): an empty module, so the script
 * bundles without shipping Node code.
 */
const nodeBranchStubs = {
  name: "perfdo-node-branch-stubs",
  setup(b) {
    b.onResolve({ filter: /^(stream)$/ }, (args) => ({ path: args.path, namespace: "perfdo-stub" }));
    b.onLoad({ filter: /.*/, namespace: "perfdo-stub" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/** Shared options for k6 scripts: ESM, k6 modules and remote jslib imports left to k6, npm code bundled. */
export const k6BuildOptions = {
  plugins: [nodeBranchStubs],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2020",
  mainFields: ["module", "main"],
  external: ["k6", "k6/*", "https://*", "http://*"],
  logLevel: "warning",
  legalComments: "none",
  metafile: true,
};

/** Options for the reference Worker: workerd resolves `cloudflare:*` itself. */
export const workerBuildOptions = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*", "node:*"],
  // icebird's Avro reader imports hyparquet-compressors for deflate-coded Avro; this Worker writes
  // its manifests uncompressed, and the package was 120 KB of the bundle (minified). As in wrangler.jsonc.
  // wtf_wikipedia imports isomorphic-unfetch to fetch pages; the Worker parses the wikitext it is sent.
  alias: { "hyparquet-compressors": "./deploy/src/iceberg/no-compressors.ts", "isomorphic-unfetch": "./deploy/src/wiki/no-fetch.ts" },
  logLevel: "warning",
  metafile: false,
};

/**
 * lib/k6/options-build.ts (profiles, durations, VU sizing: what builds `options`) goes into each
 * script pre-bundled as one CommonJS module. esbuild wraps such a module whole, function
 * declarations included, in a function that runs on the first `require`, which only the init run
 * k6 reads options from makes (lib/k6/options.ts). As an ES module its functions would be created
 * in every VU.
 */
function lazyOptionsBuild(define) {
  return {
    name: "perfdo-lazy-options-build",
    setup(b) {
      b.onResolve({ filter: /\/options-build$/, namespace: "file" }, (args) =>
        args.kind === "require-call" ? { path: join(args.resolveDir, "options-build.ts"), namespace: "perfdo-lazy" } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "perfdo-lazy" }, async (args) => {
        const cjs = await build({ ...k6BuildOptions, entryPoints: [args.path], format: "cjs", write: false, metafile: false, define });
        return { contents: cjs.outputFiles[0].text, loader: "js", resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * npm code a script loads with require() only where it is needed (lib/k6/datasets.ts requires
 * papaparse inside a SharedArray callback, which k6 runs in one init): built once to
 * build/vendor/<name>.js and left out of the script, so VUs that never run it do not compile it
 * (measured with perf/datasets at 1 and 50 VUs: bundled, k6's peak RSS grew 48 MB; vendored, it did
 * not grow; peak RSS is noisy, so test/integration/datasets.test.ts checks the SharedArray instead).
 */
const VENDORED = { papaparse: "papaparse.js" };

function vendored(root, scriptPath) {
  return {
    name: "perfdo-vendored",
    setup(b) {
      b.onResolve({ filter: /^papaparse$/ }, (args) => {
        if (args.kind !== "require-call") return undefined;
        const path = relative(dirname(scriptPath), join(root, "build", "vendor", VENDORED[args.path]));
        return { path: path.startsWith(".") ? path : `./${path}`, external: true };
      });
    },
  };
}

/**
 * esbuild, writing each output whole: to a temporary file renamed over the old one. Several perfdo
 * processes may build the same script at once (npm test runs integration files side by side); a
 * k6 starting in one must never read a file another is halfway through writing.
 */
async function buildAtomically(options) {
  const result = await build({ ...options, write: false });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  return result;
}

async function buildVendored(root) {
  const require = createRequire(join(root, "package.json"));
  await Promise.all(
    Object.entries(VENDORED).map(([pkg, file]) =>
      buildAtomically({ ...k6BuildOptions, format: "cjs", metafile: false, entryPoints: [require.resolve(pkg)], outfile: join(root, "build", "vendor", file), absWorkingDir: root }),
    ),
  );
}

async function buildScenario(root, entry) {
  // Validated before bundling: an invalid file stops the build with "file: field: reason".
  const thresholds = loadThresholds(entry.thresholds, root);
  const thresholdsFile = relative(root, entry.thresholds);
  const compiled = compileThresholds(thresholds ?? DEFAULT_THRESHOLDS); // no file: the default gate
  mkdirSync(dirname(entry.script), { recursive: true });
  const define = { __PERFDO_SCENARIO__: JSON.stringify(entry.name) };
  // The thresholds are read by options-build.ts alone, so only its lazy module gets them: defined
  // for the whole script, esbuild wraps them in an initializer every VU runs.
  const lazyDefine = { ...define, __PERFDO_THRESHOLDS__: JSON.stringify(compiled) };
  const result = await buildAtomically({
    ...k6BuildOptions,
    entryPoints: [entry.source],
    outfile: entry.script,
    absWorkingDir: root,
    banner: { js: `// Generated from scenarios/${entry.name}.ts by esbuild.config.mjs. Do not edit; run \`npm run build\`.` },
    define,
    plugins: [nodeBranchStubs, vendored(root, entry.script), lazyOptionsBuild(lazyDefine)],
  });
  const leaked = Object.keys(result.metafile.inputs).filter((input) => NODE_ONLY.test(input));
  if (leaked.length > 0) {
    throw new Error(`scenarios/${entry.name}.ts bundles Node-only code into a k6 script: ${leaked[0]}`);
  }
  return { name: entry.name, script: entry.script, thresholds: thresholds ? thresholdsFile : null, compiled };
}

/**
 * Builds the named scenarios (all when `names` is omitted) and the Worker. `thresholdsDir`
 * replaces thresholds/ (e.g. a stricter set for a CI gate).
 */
export async function buildAll({ root = ROOT, names, thresholdsDir } = {}) {
  const all = listScenarios(root, thresholdsDir);
  const selected = names ? all.filter((s) => names.includes(s.name)) : all;
  await buildVendored(root);
  const scenarios = await Promise.all(selected.map((entry) => buildScenario(root, entry)));
  const worker = await buildWorker(root);
  return { scenarios, worker };
}

export async function buildWorker(root = ROOT) {
  const outfile = join(root, "build", "deploy", "worker.mjs");
  await buildAtomically({ ...workerBuildOptions, entryPoints: [join(root, "deploy", "src", "index.ts")], outfile, absWorkingDir: root });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { scenarios, worker } = await buildAll();
    for (const s of scenarios) console.log(`built ${relative(ROOT, s.script)}${s.thresholds ? ` (thresholds: ${s.thresholds})` : ""}`);
    console.log(`built ${relative(ROOT, worker)}`);
  } catch (err) {
    console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}
