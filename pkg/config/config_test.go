package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var minimal = []string{AppID, "wx1", Token, "tok"}

func TestDefaults(t *testing.T) {
	c, err := Load(env(minimal...), 9000)
	if err != nil {
		t.Fatal(err)
	}
	if c.APIBase != DefaultAPIBase || c.MaxClockSkew != 5*time.Minute || c.RulesRefresh != time.Minute || c.Deadline != 4*time.Second ||
		c.DedupTTL != time.Minute || c.MediaTTL != 60*time.Hour || c.TokenAPI != "stable" || c.Port != 9000 || c.LogLevel != slog.LevelInfo ||
		c.RequireEncryption || c.Rules != "" || !c.RulesWarn || c.Dedup != "" || c.S3.PathStyle {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEveryVariable(t *testing.T) {
	key := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	c, err := Load(env(AppID, "wx1", AppSecret, "sec", Token, "tok", EncodingAESKey, key, PreviousEncodingAESKey, key,
		APIBase, "http://127.0.0.1:9/", Rules, "s3://b/rules.yaml", RequireEncryption, "1", MaxClockSkew, "0",
		RulesRefresh, "10s", Deadline, "2500ms", Dedup, "s3://b/dedup", DedupTTL, "2m", MediaTTL, "1h", TokenAPI, "classic",
		S3PathStyle, "true", Port, "8081", LogLevel, "DEBUG", "AWS_REGION", "ap-guangzhou", "AWS_ENDPOINT_URL_S3", "https://cos.ap-guangzhou.myqcloud.com",
		"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "SK"), 9000)
	if err != nil {
		t.Fatal(err)
	}
	if c.APIBase != "http://127.0.0.1:9" || !c.RequireEncryption || c.MaxClockSkew != 0 || c.RulesRefresh != 10*time.Second ||
		c.Deadline != 2500*time.Millisecond || c.Dedup != "s3://b/dedup" || c.DedupTTL != 2*time.Minute || c.MediaTTL != time.Hour ||
		c.TokenAPI != "classic" || !c.S3.PathStyle || c.Port != 8081 || c.LogLevel != slog.LevelDebug || c.RulesWarn ||
		c.S3.Region != "ap-guangzhou" || c.S3.Endpoint != "https://cos.ap-guangzhou.myqcloud.com" || c.S3.AccessKeyID != "AKID" {
		t.Fatalf("%+v", c)
	}
	if pc := c.PushConfig(); pc.AppID != "wx1" || pc.EncodingAESKey != key || !pc.RequireEncryption {
		t.Fatalf("%+v", pc)
	}
}

func TestTencentRoleCredentials(t *testing.T) {
	c, err := Load(env(append(minimal, "TENCENTCLOUD_SECRETID", "id", "TENCENTCLOUD_SECRETKEY", "key", "TENCENTCLOUD_SESSIONTOKEN", "st", "TENCENTCLOUD_REGION", "ap-shanghai")...), 9000)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.AccessKeyID != "id" || c.S3.SecretAccessKey != "key" || c.S3.SessionToken != "st" || c.S3.Region != "ap-shanghai" {
		t.Fatalf("%+v", c.S3)
	}
}

// Every refusal names its variable in one line, and never repeats a secret.
func TestErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		env  []string
		name string
	}{
		{[]string{Token, "t"}, AppID},
		{[]string{AppID, "a"}, Token},
		{append(minimal, EncodingAESKey, "tooShortSecretKey"), EncodingAESKey},
		{append(minimal, PreviousEncodingAESKey, strings.Repeat("*", 43)), PreviousEncodingAESKey},
		{append(minimal, PreviousEncodingAESKey, strings.Repeat("a", 43)), PreviousEncodingAESKey},
		{append(minimal, RequireEncryption, "yes"), RequireEncryption},
		{append(minimal, RequireEncryption, "true"), RequireEncryption},
		{append(minimal, MaxClockSkew, "5 minutes"), MaxClockSkew},
		{append(minimal, MaxClockSkew, "-1s"), MaxClockSkew},
		{append(minimal, RulesRefresh, "0"), RulesRefresh},
		{append(minimal, Deadline, "4"), Deadline},
		{append(minimal, DedupTTL, "x"), DedupTTL},
		{append(minimal, MediaTTL, "3d"), MediaTTL},
		{append(minimal, Dedup, "https://x/y"), Dedup},
		{append(minimal, Dedup, "s3:///p"), Dedup},
		{append(minimal, TokenAPI, "fast"), TokenAPI},
		{append(minimal, S3PathStyle, "maybe"), S3PathStyle},
		{append(minimal, Port, "99999"), Port},
		{append(minimal, LogLevel, "loud"), LogLevel},
		{append(minimal, APIBase, "ftp://x"), APIBase},
		{append(minimal, Rules, "gopher://x/r.yaml"), Rules},
		{append(minimal, "AWS_ENDPOINT_URL_S3", "cos.ap-guangzhou.myqcloud.com"), "AWS_ENDPOINT_URL_S3"},
	}
	for _, c := range cases {
		_, err := Load(env(c.env...), 9000)
		var e *Error
		if !errors.As(err, &e) || e.Variable != c.name {
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.name)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), c.name+": ") {
			t.Errorf("not one line starting with the name: %q", err)
		}
		if strings.Contains(err.Error(), "tooShortSecretKey") {
			t.Errorf("the error repeats the key: %q", err)
		}
	}
}

func TestEmptyCountsAsUnset(t *testing.T) {
	if _, err := Load(env(AppID, "", Token, "t"), 9000); err == nil {
		t.Fatal("an empty required variable is missing")
	}
	c, err := Load(env(append(minimal, Deadline, "")...), 9000)
	if err != nil || c.Deadline != DefaultDeadline {
		t.Fatalf("%v %v", c, err)
	}
}
