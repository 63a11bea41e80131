package main

// Tests of serverless.yml (Tencent Serverless Components, component scf) and scf_bootstrap
// against the code and the Makefile: a renamed variable, a runtime, type or event that does
// not match the zip, or a timeout below the deadline breaks them.

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kefuhq/kefu/pkg/config"
)

const serverlessPath = "../../serverless.yml"

// slsFile is the part of the Components format kefu uses; decoding with KnownFields refuses
// any other key, so a misspelt one fails here rather than on deploy.
type slsFile struct {
	App       string    `yaml:"app"`
	Stage     string    `yaml:"stage"`
	Component string    `yaml:"component"`
	Name      string    `yaml:"name"`
	Inputs    slsInputs `yaml:"inputs"`
}

type slsInputs struct {
	Name        string `yaml:"name"`
	Namespace   string `yaml:"namespace"`
	Description string `yaml:"description"`
	Src         struct {
		Src     string   `yaml:"src"`
		Exclude []string `yaml:"exclude"`
	} `yaml:"src"`
	Type        string `yaml:"type"`
	Runtime     string `yaml:"runtime"`
	Handler     string `yaml:"handler"`
	Region      string `yaml:"region"`
	MemorySize  int    `yaml:"memorySize"`
	Timeout     int    `yaml:"timeout"`
	InitTimeout int    `yaml:"initTimeout"`
	Environment struct {
		Variables map[string]string `yaml:"variables"`
	} `yaml:"environment"`
	Events []map[string]slsEvent `yaml:"events"`
}

type slsEvent struct {
	Parameters struct {
		NetConfig struct {
			EnableIntranet bool `yaml:"enableIntranet"`
			EnableExtranet bool `yaml:"enableExtranet"`
		} `yaml:"netConfig"`
		AuthType string `yaml:"authType"`
	} `yaml:"parameters"`
}

func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// checkInputs checks what the Web function and the Go1 variant share.
func checkInputs(t *testing.T, in slsInputs) {
	t.Helper()
	// The component's runtimes that can run the static binary (its allow-list has more).
	if !slices.Contains([]string{"Go1", "CustomRuntime"}, in.Runtime) {
		t.Errorf("runtime %q", in.Runtime)
	}
	if in.MemorySize != 64 && (in.MemorySize < 128 || in.MemorySize > 3072 || in.MemorySize%128 != 0) {
		t.Errorf("memorySize %d: SCF takes 64, or 128 to 3072 in steps of 128", in.MemorySize)
	}
	if in.Timeout < 1 || in.Timeout > 900 {
		t.Errorf("timeout %d: SCF takes 1 to 900 s", in.Timeout)
	}
	var urls int
	for _, ev := range in.Events {
		for kind, e := range ev {
			if kind != "http" {
				t.Errorf("event %q: want the Function URL (http); API Gateway triggers are being retired", kind)
				continue
			}
			urls++
			if !e.Parameters.NetConfig.EnableExtranet {
				t.Error("the Function URL is not public (enableExtranet): WeChat cannot reach it")
			}
			if e.Parameters.AuthType != "NONE" {
				t.Errorf("the Function URL's authType %q, want NONE", e.Parameters.AuthType)
			}
		}
	}
	if urls != 1 {
		t.Errorf("%d Function URL events, want 1", urls)
	}
}

func TestServerlessYML(t *testing.T) {
	b, err := os.ReadFile(serverlessPath)
	if err != nil {
		t.Fatal(err)
	}
	var f slsFile
	decodeStrict(t, b, &f)
	in := f.Inputs
	if f.Component != "scf" || in.Type != "web" || in.Handler != "" {
		t.Errorf("component %q, type %q, handler %q: want a Web function of component scf (no handler)", f.Component, in.Type, in.Handler)
	}
	checkInputs(t, in)

	// The timeout covers the deadline it sets, and the default one.
	deadline := config.DefaultDeadline
	if v, ok := in.Environment.Variables[config.Deadline]; ok {
		if deadline, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s = %q: %v", config.Deadline, v, err)
		}
	}
	if time.Duration(in.Timeout)*time.Second < max(deadline, config.DefaultDeadline)+2*time.Second {
		t.Errorf("timeout %d s is less than the deadline %v + 2 s", in.Timeout, deadline)
	}

	// Only the contract's variable names; the required ones set.
	vars := in.Environment.Variables
	for name := range vars {
		if !slices.Contains(config.Variables, name) && !strings.HasPrefix(name, "AWS_") && !strings.HasPrefix(name, "TENCENTCLOUD_") {
			t.Errorf("serverless.yml sets %s, which is not in config.Variables", name)
		}
	}
	for _, name := range []string{config.AppID, config.AppSecret, config.Token, config.EncodingAESKey} {
		if _, ok := vars[name]; !ok {
			t.Errorf("serverless.yml does not set %s", name)
		}
	}
	if vars[config.Port] != "" && vars[config.Port] != "9000" {
		t.Errorf("PORT %s: a Web function serves on 9000", vars[config.Port])
	}
	// COS through its S3 API, in the function's region.
	if want := "https://cos." + in.Region + ".myqcloud.com"; vars["AWS_ENDPOINT_URL_S3"] != want || vars["AWS_REGION"] != in.Region {
		t.Errorf("AWS_ENDPOINT_URL_S3 %q and AWS_REGION %q, want %q and %q", vars["AWS_ENDPOINT_URL_S3"], vars["AWS_REGION"], want, in.Region)
	}

	// src is what make build writes there: main and scf_bootstrap.
	if in.Src.Src != "./dist/scf" {
		t.Errorf("src %q, want ./dist/scf", in.Src.Src)
	}
	out := makeDryRun(t, "build")
	for _, want := range []string{"GOOS=linux GOARCH=amd64", "-o dist/scf/main ./functions/scf", "dist/scf/scf_bootstrap"} {
		if !strings.Contains(out, want) {
			t.Errorf("make build lacks %q:\n%s", want, out)
		}
	}
}

// TestServerlessYMLGo1Variant checks the Go1 event-function variant documented in the
// comments of serverless.yml: it is valid, and its handler is the binary's name in the zip.
func TestServerlessYMLGo1Variant(t *testing.T) {
	b, err := os.ReadFile(serverlessPath)
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "#   inputs:":
			in = true
			block = append(block, "inputs:")
		case in && strings.HasPrefix(line, "#   "):
			block = append(block, strings.TrimPrefix(line, "#   "))
		case in:
			in = false
		}
	}
	if len(block) == 0 {
		t.Fatal("serverless.yml documents no Go1 variant (a commented `inputs:` block)")
	}
	var f struct {
		Inputs slsInputs `yaml:"inputs"`
	}
	decodeStrict(t, []byte(strings.Join(block, "\n")), &f)
	v := f.Inputs
	if v.Type != "event" || v.Runtime != "Go1" || v.Handler != "main" {
		t.Errorf("the Go1 variant: type %q, runtime %q, handler %q", v.Type, v.Runtime, v.Handler)
	}
	v.MemorySize, v.Timeout = 128, 6 // documented as "the rest as below"
	checkInputs(t, v)
	if out := makeDryRun(t, "package"); !strings.Contains(out, "main=dist/scf/main:0755") {
		t.Errorf("the SCF zip does not hold the binary as main:\n%s", out)
	}
}

// TestSCFBootstrapScript checks scf_bootstrap as SCF runs it: bash, LF line endings,
// executable, starting the binary from /var/user on port 9000, the Web function's default.
func TestSCFBootstrapScript(t *testing.T) {
	info, err := os.Stat("scf_bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Errorf("scf_bootstrap mode %v, want 0755 (make package sets it in the zip anyway)", info.Mode().Perm())
	}
	b, err := os.ReadFile("scf_bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "#!/bin/bash\n") || strings.Contains(s, "\r") {
		t.Errorf("scf_bootstrap must start with #!/bin/bash and use LF line endings")
	}
	for _, want := range []string{"export PORT=9000\n", "exec /var/user/main\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("scf_bootstrap lacks %q", want)
		}
	}
	if _, err := exec.LookPath("bash"); err == nil {
		if out, err := exec.Command("bash", "-n", "scf_bootstrap").CombinedOutput(); err != nil {
			t.Errorf("bash -n scf_bootstrap: %v\n%s", err, out)
		}
	}
}

// makeDryRun returns what make would run for a target of the repository's Makefile.
func makeDryRun(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("make is not installed (CI=true)")
		}
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", append([]string{"-n", "-C", "../.."}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
