package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// jobSchema lists every field path the emitted Job may use, with its JSON
// schema type, as the Kubernetes API reference defines them (batch/v1
// Job, JobSpec, PodTemplateSpec, PodSpec, Container, EnvVar,
// EnvFromSource, SecretEnvSource; Kubernetes 1.33, where
// backoffLimitPerIndex is GA). "[]" stands for a list element; labels are
// a map of strings.
var jobSchema = map[string]string{
	"apiVersion":                                               "string",
	"kind":                                                     "string",
	"metadata":                                                 "object",
	"metadata.name":                                            "string",
	"metadata.labels":                                          "object",
	"metadata.labels.*":                                        "string",
	"spec":                                                     "object",
	"spec.completionMode":                                      "string",
	"spec.completions":                                         "integer",
	"spec.parallelism":                                         "integer",
	"spec.backoffLimitPerIndex":                                "integer",
	"spec.template":                                            "object",
	"spec.template.metadata":                                   "object",
	"spec.template.metadata.labels":                            "object",
	"spec.template.metadata.labels.*":                          "string",
	"spec.template.spec":                                       "object",
	"spec.template.spec.restartPolicy":                         "string",
	"spec.template.spec.containers":                            "array",
	"spec.template.spec.containers[]":                          "object",
	"spec.template.spec.containers[].name":                     "string",
	"spec.template.spec.containers[].image":                    "string",
	"spec.template.spec.containers[].workingDir":               "string",
	"spec.template.spec.containers[].command":                  "array",
	"spec.template.spec.containers[].command[]":                "string",
	"spec.template.spec.containers[].args":                     "array",
	"spec.template.spec.containers[].args[]":                   "string",
	"spec.template.spec.containers[].env":                      "array",
	"spec.template.spec.containers[].env[]":                    "object",
	"spec.template.spec.containers[].env[].name":               "string",
	"spec.template.spec.containers[].env[].value":              "string",
	"spec.template.spec.containers[].envFrom":                  "array",
	"spec.template.spec.containers[].envFrom[]":                "object",
	"spec.template.spec.containers[].envFrom[].secretRef":      "object",
	"spec.template.spec.containers[].envFrom[].secretRef.name": "string",
}

// schemaPaths walks a decoded YAML document and returns each path with
// the schema type of its value.
func schemaPaths(prefix string, v any, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch v := v.(type) {
	case map[string]any:
		out[prefix] = "object"
		for k, sub := range v {
			p := join(k)
			if strings.HasSuffix(prefix, "labels") {
				p = join("*")
			}
			schemaPaths(p, sub, out)
		}
	case []any:
		out[prefix] = "array"
		for _, sub := range v {
			schemaPaths(prefix+"[]", sub, out)
		}
	case string:
		out[prefix] = "string"
	case int:
		out[prefix] = "integer"
	default:
		out[prefix] = fmt.Sprintf("%T", v)
	}
}

func emitK8s(t *testing.T, secret string) map[string]any {
	t.Helper()
	job := emitJob{Name: "sptflow-spt-demo", Pipeline: "pipelines/demo.yaml", Shards: 3, LastIndex: 2,
		Remote: "s3://team/spt?region=eu-west-1", Image: "ghcr.io/team/sptflow:1", Secret: secret}
	var b bytes.Buffer
	if err := emitTemplates().ExecuteTemplate(&b, "k8s.yaml.tmpl", job); err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(&b)
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode the manifest: %v", err)
	}
	return doc
}

// TestEmitK8sSchema checks every field of the emitted Job against the
// batch/v1 Job fields it may use and their types, and the constraints the
// API server enforces on an Indexed Job.
func TestEmitK8sSchema(t *testing.T) {
	for _, secret := range []string{"", "llm-keys"} {
		doc := emitK8s(t, secret)
		got := map[string]string{}
		schemaPaths("", doc, got)
		delete(got, "")
		for _, p := range slices.Sorted(maps.Keys(got)) {
			want, ok := jobSchema[p]
			switch {
			case !ok:
				t.Errorf("secret %q: field %s is not a batch/v1 Job field this test knows", secret, p)
			case got[p] != want:
				t.Errorf("secret %q: field %s: got %s, want %s", secret, p, got[p], want)
			}
		}
		spec := doc["spec"].(map[string]any)
		pod := spec["template"].(map[string]any)["spec"].(map[string]any)
		checks := []struct {
			what      string
			got, want any
		}{
			{"apiVersion", doc["apiVersion"], "batch/v1"},
			{"kind", doc["kind"], "Job"},
			{"completionMode", spec["completionMode"], "Indexed"},
			{"completions", spec["completions"], 3},
			{"parallelism", spec["parallelism"], 3},
			// backoffLimitPerIndex needs restartPolicy Never.
			{"restartPolicy", pod["restartPolicy"], "Never"},
			{"envFrom present", pod["containers"].([]any)[0].(map[string]any)["envFrom"] != nil, secret != ""},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("secret %q: %s: got %v, want %v", secret, c.what, c.got, c.want)
			}
		}
	}
}

func TestJobName(t *testing.T) {
	tests := []struct{ name, pipeline, want string }{
		{"", "spt-demo", "sptflow-spt-demo"},
		{"", "SPT Full_Run", "sptflow-spt-full-run"},
		{"", strings.Repeat("x", 80), "sptflow-" + strings.Repeat("x", 44)},
		{"my-job", "whatever", "my-job"},
		{"My_Job", "whatever", ""},
	}
	for _, tt := range tests {
		got, err := jobName(tt.name, tt.pipeline)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("jobName(%q, %q): got %q, %v; want %q", tt.name, tt.pipeline, got, err, tt.want)
		}
	}
}

// TestEmitK8sCommand runs each pod's command as the kubelet would (its
// env, JOB_COMPLETION_INDEX i) with a stand-in sptflow that prints its
// arguments: pod i runs shard i+1 of N.
func TestEmitK8sCommand(t *testing.T) {
	doc := emitK8s(t, "llm-keys")
	c := doc["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "sptflow"), []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		env = append(env, e["name"].(string)+"="+e["value"].(string))
	}
	argv := append(toStrings(c["command"]), toStrings(c["args"])...)
	for i := range 3 {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(env, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
		if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("run pipelines/demo.yaml --shard %d/3", i+1); got != want {
			t.Errorf("pod %d runs %q, want %q", i, got, want)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// TestDockerfileProjectRootWritable: the image's user owns its working
// directory (the project root, where every run writes sptflow.lock), its
// .sptflow and data; with /work left to root, every pod's run warned
// "lock file not updated".
func TestDockerfileProjectRootWritable(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	last := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			last = i
		}
	}
	var user, workdir string
	owned := map[string]bool{}
	for _, l := range lines[last:] {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && f[0] == "USER":
			user = f[1]
		case len(f) == 2 && f[0] == "WORKDIR":
			workdir = f[1]
		case len(f) > 0 && f[0] == "RUN":
			for _, cmd := range strings.Split(strings.TrimPrefix(l, "RUN"), "&&") {
				c := strings.Fields(cmd)
				if len(c) > 2 && c[0] == "chown" {
					for _, p := range c[2:] {
						owned[strings.TrimSuffix(strings.TrimPrefix(p, "./"), "/")] = true
					}
				}
			}
		}
	}
	if user == "" || workdir == "" {
		t.Fatalf("final stage: USER %q, WORKDIR %q; want both", user, workdir)
	}
	for _, dir := range []string{".", ".sptflow", "data"} {
		if !owned[dir] && !(dir == "." && owned[workdir]) {
			t.Errorf("the final stage does not chown %s (in WORKDIR %s) to USER %s: a run there cannot write it", dir, workdir, user)
		}
	}
}
