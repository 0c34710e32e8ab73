package output

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"go.k6.io/k6/v2/output"
)

// The P line: where the numbers of this capture came from, written by the k6 that made them, so
// that `perfdo ingest` and `perfdo k8s collect` read it rather than guess (lib/node/results/provenance.ts).
// The harness's own facts (commit, target as given, --resolve, rehearsal) arrive as the JSON of
// PERFDO_PROVENANCE, from k6's environment or -e; this adds what only the load's machine knows.

// mergedEnv: the process environment, then -e values over it (k6's own precedence for __ENV).
func mergedEnv(params output.Params) map[string]string {
	env := map[string]string{}
	for k, v := range params.Environment {
		env[k] = v
	}
	for k, v := range params.RuntimeOptions.Env {
		env[k] = v
	}
	return env
}

// k6Version is the k6 module this binary was built with (k6's own version constant is internal).
func k6Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "go.k6.io/k6/v2" {
			return dep.Version
		}
	}
	return "unknown"
}

// cpuModel is the first "model name" of /proc/cpuinfo (Linux); empty elsewhere.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func provenanceJSON(env map[string]string) []byte {
	host, _ := os.Hostname()
	generator := map[string]any{
		"os": runtime.GOOS, "arch": runtime.GOARCH, "cores": runtime.NumCPU(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"cpuModel": cpuModel(), "host": host,
	}
	// Grafana Cloud k6 names each runner's zone; k6-operator's runners are pods (POD_NAME when the
	// manifest passes it, else the hostname, which Kubernetes sets to the pod's name).
	if zone := env["K6_CLOUDRUN_LOAD_ZONE"]; zone != "" {
		generator["loadZone"] = zone
	}
	if pod := env["POD_NAME"]; pod != "" {
		generator["pod"] = pod
	}
	p := map[string]any{
		"k6":        map[string]string{"version": k6Version(), "build": "perfdo-output"},
		"generator": generator,
	}
	var harness map[string]any
	if raw := env["PERFDO_PROVENANCE"]; raw != "" && json.Unmarshal([]byte(raw), &harness) == nil {
		p["harness"] = harness
	}
	b, err := json.Marshal(p)
	if err != nil {
		return []byte("{}")
	}
	return b
}
