package main

// Tests of template.yaml (AWS SAM) against the code: a renamed variable, a runtime or
// architecture that does not match the build, or a timeout below the deadline breaks them.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
)

const templatePath = "../../template.yaml"

// node is a YAML node with lookups by key; CloudFormation's short tags (!Ref, !Sub, !If...)
// stay on the nodes as their Tag.
type node struct{ *yaml.Node }

func (n node) get(keys ...string) node {
	cur := n.Node
	for _, k := range keys {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return node{}
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == k {
				next = cur.Content[i+1]
			}
		}
		cur = next
	}
	return node{cur}
}

func (n node) ok() bool { return n.Node != nil }

func (n node) str() string {
	if n.Node == nil {
		return ""
	}
	return n.Value
}

// keys returns a mapping's keys in order.
func (n node) keys() []string {
	var ks []string
	if n.Node != nil && n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			ks = append(ks, n.Content[i].Value)
		}
	}
	return ks
}

func (n node) items() []node {
	var ns []node
	if n.Node != nil && n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			ns = append(ns, node{c})
		}
	}
	return ns
}

// text is the node re-encoded as YAML, for searching inside intrinsic functions.
func (n node) text() string {
	if n.Node == nil {
		return ""
	}
	b, _ := yaml.Marshal(n.Node)
	return string(b)
}

func loadTemplate(t *testing.T) node {
	t.Helper()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return node{doc.Content[0]}
}

// standardVariable reports the AWS SDK's and Tencent SCF's own variables, which kefu reads
// besides its contract's.
func standardVariable(name string) bool {
	return strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "TENCENTCLOUD_")
}

// requiredVariables are the variables a deployed function must set.
func requiredVariables() []string {
	return []string{config.AppID, config.AppSecret, config.Token, config.EncodingAESKey}
}

func TestTemplateFunction(t *testing.T) {
	tpl := loadTemplate(t)
	if got := tpl.get("Transform").str(); got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform %q", got)
	}
	fn := tpl.get("Resources", "KefuFunction")
	if fn.get("Type").str() != "AWS::Serverless::Function" {
		t.Fatalf("KefuFunction is %q", fn.get("Type").str())
	}
	p := fn.get("Properties")
	globals := tpl.get("Globals", "Function")
	prop := func(k string) node {
		if v := p.get(k); v.ok() {
			return v
		}
		return globals.get(k)
	}
	for k, want := range map[string]string{"Handler": "bootstrap", "Runtime": "provided.al2023", "CodeUri": "."} {
		if got := prop(k).str(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	arch := prop("Architectures").items()
	if len(arch) != 1 || arch[0].str() != "arm64" {
		t.Errorf("Architectures %s, want [arm64] (make build-KefuFunction builds linux/arm64)", prop("Architectures").text())
	}
	if got := fn.get("Metadata", "BuildMethod").str(); got != "makefile" {
		t.Errorf("BuildMethod %q, want makefile: SAM's Go builder cannot pass -tags lambda.norpc", got)
	}

	// The trigger: an HttpApi event without Path and Method is the $default route, and a
	// public Function URL.
	events := p.get("Events")
	var httpAPI int
	for _, name := range events.keys() {
		ev := events.get(name)
		if ev.get("Type").str() != "HttpApi" {
			t.Errorf("event %s of type %s", name, ev.get("Type").str())
			continue
		}
		httpAPI++
		if ev.get("Properties", "Path").ok() || ev.get("Properties", "Method").ok() {
			t.Errorf("event %s has a Path or Method: the function must answer on every path", name)
		}
		if v := ev.get("Properties", "PayloadFormatVersion").str(); v != "" && v != "2.0" {
			t.Errorf("event %s PayloadFormatVersion %q", name, v)
		}
	}
	if httpAPI != 1 {
		t.Errorf("%d HttpApi events, want 1", httpAPI)
	}
	if got := p.get("FunctionUrlConfig", "AuthType").str(); got != "NONE" {
		t.Errorf("FunctionUrlConfig.AuthType %q, want NONE (WeChat signs its pushes; it cannot sign AWS requests)", got)
	}

	// The timeout: at least KEFU_DEADLINE + 2 s for every deadline the template allows.
	timeout, err := strconv.Atoi(prop("Timeout").str())
	if err != nil {
		t.Fatalf("Timeout %q: %v", prop("Timeout").str(), err)
	}
	dl := tpl.get("Parameters", "DeadlineSeconds")
	def, _ := strconv.Atoi(dl.get("Default").str())
	maxDL, _ := strconv.Atoi(dl.get("MaxValue").str())
	if time.Duration(def)*time.Second != config.DefaultDeadline {
		t.Errorf("DeadlineSeconds defaults to %d s, the code to %v", def, config.DefaultDeadline)
	}
	if maxDL == 0 || timeout < maxDL+2 || time.Duration(timeout)*time.Second < config.DefaultDeadline+2*time.Second {
		t.Errorf("Timeout %d s is less than the deadline (default %v, at most %d s) + 2 s", timeout, config.DefaultDeadline, maxDL)
	}

	// The environment: only the contract's variable names, the required ones set, and the
	// deadline the one the timeout was checked against.
	vars := prop("Environment").get("Variables")
	for _, name := range vars.keys() {
		if !slices.Contains(config.Variables, name) && !standardVariable(name) {
			t.Errorf("the template sets %s, which is not in config.Variables", name)
		}
	}
	for _, name := range requiredVariables() {
		if !vars.get(name).ok() {
			t.Errorf("the template does not set %s", name)
		}
	}
	if got := vars.get(config.Deadline); got.Tag != "!Sub" || got.Value != "${DeadlineSeconds}s" {
		t.Errorf("%s = %s, want !Sub ${DeadlineSeconds}s", config.Deadline, got.text())
	}

	// Secrets are NoEcho parameters.
	for _, name := range []string{config.AppSecret, config.Token, config.EncodingAESKey, config.PreviousEncodingAESKey} {
		ref := vars.get(name)
		if ref.Tag != "!Ref" {
			t.Errorf("%s is %s, want !Ref to a parameter", name, ref.text())
			continue
		}
		if tpl.get("Parameters", ref.Value, "NoEcho").str() != "true" {
			t.Errorf("the parameter %s (%s) is not NoEcho", ref.Value, name)
		}
	}
}

// TestTemplateParameters checks the parameters' patterns against what the code accepts.
func TestTemplateParameters(t *testing.T) {
	params := loadTemplate(t).get("Parameters")
	pattern := func(name string) *regexp.Regexp {
		t.Helper()
		re, err := regexp.Compile(params.get(name, "AllowedPattern").str())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return re
	}
	key := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	if err := push.ParseKey(key); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		param, value string
		ok           bool
	}{
		{"WeChatAppId", "wx5f0c1a2b3c4d5e6f", true},
		{"WeChatAppId", "5f0c1a2b3c4d5e6f", false},
		{"WeChatToken", "kefuToken2024", true},
		{"WeChatToken", "ab", false},
		{"WeChatEncodingAesKey", key, true},
		{"WeChatEncodingAesKey", key[:42], false},
		{"WeChatEncodingAesKeyPrevious", "", true},
		{"WeChatEncodingAesKeyPrevious", key, true},
		{"RulesLocation", "", true},
		{"RulesLocation", "s3://my-bucket/kefu/rules.yaml", true},
		{"RulesLocation", "https://example.com/rules.yaml", true},
		{"RulesLocation", "rules.yaml", false},
		{"Dedup", "", true},
		{"Dedup", "create", true},
		{"Dedup", "s3://my-bucket/kefu-dedup/", true},
		{"Dedup", "my-bucket", false},
	} {
		if got := pattern(c.param).MatchString(c.value); got != c.ok {
			t.Errorf("%s accepts %q: %v, want %v", c.param, c.value, got, c.ok)
		}
	}
	// What the parameters let through, the code accepts.
	env := map[string]string{
		config.AppID: "wx5f0c1a2b3c4d5e6f", config.AppSecret: "s", config.Token: "kefuToken2024",
		config.EncodingAESKey: key, config.PreviousEncodingAESKey: key, config.RequireEncryption: "false",
		config.Rules: "s3://my-bucket/kefu/rules.yaml", config.Dedup: "s3://my-bucket/kefu-dedup/",
		config.Deadline: params.get("DeadlineSeconds", "MaxValue").str() + "s", config.LogLevel: "warn",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if _, err := config.Load(lookup, 0); err != nil {
		t.Errorf("the code refuses values the template allows: %v", err)
	}
	for _, v := range params.get("LogLevel", "AllowedValues").items() {
		env[config.LogLevel] = v.str()
		if _, err := config.Load(lookup, 0); err != nil {
			t.Errorf("LogLevel %s: %v", v.str(), err)
		}
	}
}

// TestTemplateStorage checks the optional bucket access and the dedup bucket's lifecycle.
func TestTemplateStorage(t *testing.T) {
	tpl := loadTemplate(t)
	fn := tpl.get("Resources", "KefuFunction", "Properties")
	policies := fn.get("Policies").text()
	for _, want := range []string{"S3ReadPolicy", "BucketName: !Ref RulesBucket", "s3:PutObject", "${DedupBucket}/kefu-dedup/*"} {
		if !strings.Contains(policies, want) {
			t.Errorf("the policies lack %q:\n%s", want, policies)
		}
	}
	dedup := fn.get("Environment", "Variables", config.Dedup).text()
	if !strings.Contains(dedup, "s3://${DedupBucket}/kefu-dedup/") {
		t.Errorf("%s = %s", config.Dedup, dedup)
	}
	bucket := tpl.get("Resources", "DedupBucket")
	if bucket.get("Condition").str() != "CreateDedupBucket" {
		t.Error("the dedup bucket is not conditional")
	}
	rules := bucket.get("Properties", "LifecycleConfiguration", "Rules").items()
	if len(rules) != 1 || rules[0].get("Prefix").str() != "kefu-dedup/" || rules[0].get("ExpirationInDays").str() != "1" ||
		rules[0].get("Status").str() != "Enabled" {
		t.Errorf("the dedup bucket's lifecycle: %s", bucket.get("Properties", "LifecycleConfiguration").text())
	}
	outputs := tpl.get("Outputs").text()
	for _, want := range []string{"KefuFunctionUrl.FunctionUrl", "${ServerlessHttpApi}.execute-api."} {
		if !strings.Contains(outputs, want) {
			t.Errorf("the outputs lack %q", want)
		}
	}
}

// TestMakeBuildKefuFunction checks what `sam build` runs: the release build of this command.
func TestMakeBuildKefuFunction(t *testing.T) {
	out := makeDryRun(t, "build-KefuFunction", "ARTIFACTS_DIR=/artifacts")
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", "-trimpath",
		`-ldflags "-s -w"`, "-o /artifacts/bootstrap ./functions/lambda"} {
		if !strings.Contains(out, want) {
			t.Errorf("make build-KefuFunction lacks %q:\n%s", want, out)
		}
	}
}

// makeDryRun returns what make would run for a target of the repository's Makefile.
func makeDryRun(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		needTool(t, "make")
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

// needTool skips a test whose tool is missing, except under CI=true, where a skipped test
// proves nothing.
func needTool(t *testing.T, tool string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (CI=true)", tool)
	}
	t.Skipf("%s is not installed", tool)
}

// TestCfnLint runs cfn-lint on template.yaml: it performs the SAM transform and checks the
// result against CloudFormation's schemas, offline.
func TestCfnLint(t *testing.T) {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		needTool(t, "cfn-lint")
	}
	cmd := exec.Command("cfn-lint", "--", templatePath)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("cfn-lint %s: exit status %d\n%s", templatePath, ee.ExitCode(), out)
	} else if err != nil {
		t.Fatal(err)
	}
}
