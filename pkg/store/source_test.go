package store_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/pkg/store"
)

func TestParse(t *testing.T) {
	tests := []struct {
		src  string
		want store.Location
	}{
		{"rules.yaml", store.Location{Scheme: store.File, Key: "rules.yaml", URL: "rules.yaml"}},
		{"/etc/kefu/rules.yaml", store.Location{Scheme: store.File, Key: "/etc/kefu/rules.yaml", URL: "/etc/kefu/rules.yaml"}},
		{"./a b/c.png", store.Location{Scheme: store.File, Key: "./a b/c.png", URL: "./a b/c.png"}},
		{"media:card.png", store.Location{Scheme: store.File, Key: "media:card.png", URL: "media:card.png"}},
		{"file:///etc/kefu/rules.yaml", store.Location{Scheme: store.File, Key: filepath.FromSlash("/etc/kefu/rules.yaml"), URL: "file:///etc/kefu/rules.yaml"}},
		{"file://localhost/etc/r.yaml", store.Location{Scheme: store.File, Key: filepath.FromSlash("/etc/r.yaml"), URL: "file:///etc/r.yaml"}},
		{"FILE:///a%20b%3F.png", store.Location{Scheme: store.File, Key: filepath.FromSlash("/a b?.png"), URL: "file:///a b%3F.png"}},
		{"s3://my-bucket/kefu/rules.yaml", store.Location{Scheme: store.S3, Bucket: "my-bucket", Key: "kefu/rules.yaml", URL: "s3://my-bucket/kefu/rules.yaml"}},
		{"s3://examplebucket-1250000000/a", store.Location{Scheme: store.S3, Bucket: "examplebucket-1250000000", Key: "a", URL: "s3://examplebucket-1250000000/a"}},
		{"S3://b/图片/a b.png", store.Location{Scheme: store.S3, Bucket: "b", Key: "图片/a b.png", URL: "s3://b/图片/a b.png"}},
		{"s3://b/%E5%9B%BE.png", store.Location{Scheme: store.S3, Bucket: "b", Key: "图.png", URL: "s3://b/图.png"}},
		{"s3://b/a%3Fb%23c%25d", store.Location{Scheme: store.S3, Bucket: "b", Key: "a?b#c%d", URL: "s3://b/a%3Fb%23c%25d"}},
		{"s3://b/a%09b", store.Location{Scheme: store.S3, Bucket: "b", Key: "a\tb", URL: "s3://b/a%09b"}},
		{"s3://b//double", store.Location{Scheme: store.S3, Bucket: "b", Key: "/double", URL: "s3://b//double"}},
		{"https://example.com/r.yaml?v=1#top", store.Location{Scheme: store.HTTPS, URL: "https://example.com/r.yaml?v=1"}},
		{"HTTPS://example.com/a b", store.Location{Scheme: store.HTTPS, URL: "https://example.com/a%20b"}},
		{"http://127.0.0.1:8080/x", store.Location{Scheme: store.HTTP, URL: "http://127.0.0.1:8080/x"}},
		{"embed:///rules.yaml", store.Location{Scheme: store.Embed, Key: "rules.yaml", URL: "embed:///rules.yaml"}},
		{"embed:///media/../media/./card.png", store.Location{Scheme: store.Embed, Key: "media/card.png", URL: "embed:///media/card.png"}},
		{"embed:///../../x", store.Location{Scheme: store.Embed, Key: "x", URL: "embed:///x"}},
	}
	for _, tt := range tests {
		got, err := store.Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.src, got, tt.want)
		}
		again, err := store.Parse(got.URL)
		if err != nil || again != got {
			t.Errorf("Parse(Parse(%q).URL = %q) = %+v, %v; want the same Location", tt.src, got.URL, again, err)
		}
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct{ src, why string }{
		{"", "empty"},
		{"a\x00b", "control character"},
		{"s3://b/k\n", "control character"},
		{"s3:b/k", "expected s3://"},
		{"embed:rules.yaml", "expected embed://"},
		{"HTTPS:example.com", "expected https://"},
		{"file:/x", "expected file://"},
		{"s3://bucket", "want s3://bucket/key"},
		{"s3://bucket/", "want s3://bucket/key"},
		{"s3://bucket/dir/", "want s3://bucket/key"},
		{"s3:///key", "want s3://bucket/key"},
		{"s3://b/k?versionId=1", "no query"},
		{"s3://b/k#f", "no query"},
		{"s3://user@b/k", "no query, fragment or user"},
		{"s3://b:9000/k", "bucket"},
		{"s3://b/a%zz", "invalid URL escape"},
		{"https:///path", "no host"},
		{"file://host/x", "name no host"},
		{"file://", "no path"},
		{"file:///x?y", "no query"},
		{"embed://host/x", "want embed:///path"},
		{"embed:///", "want embed:///path"},
		{"embed:///..", "want embed:///path"},
		{"embed:///x?y", "no query"},
		{"ftp://host/x", "unknown scheme"},
		{"gs://b/k", "unknown scheme"},
	}
	for _, tt := range tests {
		_, err := store.Parse(tt.src)
		if !errors.Is(err, store.ErrBadSource) {
			t.Errorf("Parse(%q) = %v, want ErrBadSource", tt.src, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.why) {
			t.Errorf("Parse(%q) = %q, want it to say %q", tt.src, err, tt.why)
		}
	}
}

func TestParseErrorHidesSecrets(t *testing.T) {
	for _, src := range []string{
		"https://user:s3cret@example.com/%zz?sig=s3cret",
		"https://s3cret@example.com:bad/x",
		"http://example.com/x?X-Amz-Signature=s3cret\n",
	} {
		_, err := store.Parse(src)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", src)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q) = %q: the error shows the secret", src, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct{ src, want string }{
		{"https://user:pw@example.com/r.yaml?X-Amz-Signature=abc", "https://REDACTED@example.com/r.yaml?REDACTED"},
		{"https://token@example.com/r.yaml", "https://REDACTED@example.com/r.yaml"},
		{"https://example.com/r.yaml", "https://example.com/r.yaml"},
		{"http://example.com/r.yaml?", "http://example.com/r.yaml?REDACTED"},
		{"s3://b/k", "s3://b/k"},
		{"rules.yaml", "rules.yaml"},
	}
	for _, tt := range tests {
		loc, err := store.Parse(tt.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if got := loc.Redacted(); got != tt.want {
			t.Errorf("Parse(%q).Redacted() = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		// s3: relative to the key's folder, ".." stops at the bucket.
		{"s3://b/kefu/rules.yaml", "media/card.png", "s3://b/kefu/media/card.png"},
		{"s3://b/kefu/rules.yaml", "./media/card.png", "s3://b/kefu/media/card.png"},
		{"s3://b/kefu/rules.yaml", "../other/x.png", "s3://b/other/x.png"},
		{"s3://b/kefu/rules.yaml", "../../../x.png", "s3://b/x.png"},
		{"s3://b/kefu/rules.yaml", "/top.png", "s3://b/top.png"},
		{"s3://b/rules.yaml", "图片/a b.png", "s3://b/图片/a b.png"},
		{"s3://b/rules.yaml", "a%3Fb.png", "s3://b/a%3Fb.png"},
		// https
		{"https://cdn.example.com/kefu/rules.yaml?v=2", "media/card.png", "https://cdn.example.com/kefu/media/card.png"},
		{"https://cdn.example.com/kefu/rules.yaml", "../x.png", "https://cdn.example.com/x.png"},
		{"https://cdn.example.com/kefu/rules.yaml", "x.png?size=2", "https://cdn.example.com/kefu/x.png?size=2"},
		// file:// URLs stay URLs
		{"file:///etc/kefu/rules.yaml", "media/card.png", "file:///etc/kefu/media/card.png"},
		{"file:///etc/kefu/rules.yaml", "/srv/x.png", "file:///srv/x.png"},
		// plain paths stay plain paths, taken literally
		{"rules/kefu.yaml", "media/card.png", filepath.FromSlash("rules/media/card.png")},
		{"kefu.yaml", "media/card.png", filepath.FromSlash("media/card.png")},
		{"/etc/kefu/rules.yaml", "../media/a%20b.png", filepath.FromSlash("/etc/media/a%20b.png")},
		{"/etc/kefu/rules.yaml", "/srv/x.png", filepath.FromSlash("/srv/x.png")},
		{"rules.yaml", "media:card.png", "media:card.png"},
		{"./s3:/rules.yaml", "x.png", filepath.FromSlash("./s3:/x.png")}, // a folder named "s3:"
		// embed
		{"embed:///rules.yaml", "media/card.png", "embed:///media/card.png"},
		{"embed:///kefu/rules.yaml", "../../../x.png", "embed:///x.png"},
		// a ref with a scheme stands for itself, in canonical form
		{"s3://b/kefu/rules.yaml", "https://example.com/x.png#f", "https://example.com/x.png"},
		{"rules.yaml", "S3://other/k.png", "s3://other/k.png"},
		{"embed:///rules.yaml", "s3://b/a%20b.png", "s3://b/a b.png"},
	}
	for _, tt := range tests {
		got, err := store.Resolve(tt.base, tt.ref)
		if err != nil {
			t.Errorf("Resolve(%q, %q): %v", tt.base, tt.ref, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
		}
		if loc, err := store.Parse(got); err != nil || loc.URL != got {
			t.Errorf("Parse(Resolve(%q, %q) = %q) = %q, %v; want it back", tt.base, tt.ref, got, loc.URL, err)
		}
	}
}

func TestResolveBad(t *testing.T) {
	tests := []struct{ base, ref string }{
		{"s3://b/rules.yaml", ""},
		{"s3://b/rules.yaml", "a\nb"},
		{"s3://b/rules.yaml", "s3:x.png"},       // looks like a scheme
		{"rules.yaml", "embed:x.png"},           // even against a plain path
		{"s3://b/rules.yaml", "//host/x.png"},   // network-path reference
		{"s3://b/rules.yaml", "x.png?v=1"},      // s3 keys take no query
		{"s3://b/rules.yaml", "a%zz.png"},       // bad escape
		{"s3://b/rules.yaml", "../"},            // a folder, not a key
		{"s3://b/rules.yaml", "ftp://h/x"},      // unknown scheme
		{"", "x.png"},                           // bad base
		{"gs://b/rules.yaml", "x.png"},          // bad base
		{"embed:///rules.yaml", "x.png#frag"},   // embed takes no fragment
		{"file:///etc/r.yaml", "x.png?query=1"}, // file URLs take no query
	}
	for _, tt := range tests {
		got, err := store.Resolve(tt.base, tt.ref)
		if !errors.Is(err, store.ErrBadSource) {
			t.Errorf("Resolve(%q, %q) = %q, %v; want ErrBadSource", tt.base, tt.ref, got, err)
		}
	}
}

// FuzzResolve checks that Resolve never panics and that what it returns parses again, to
// itself (canonical form).
func FuzzResolve(f *testing.F) {
	for _, seed := range [][2]string{
		{"s3://b/kefu/rules.yaml", "media/card.png"},
		{"s3://b/kefu/rules.yaml", "../../x%3F.png"},
		{"https://example.com/a/rules.yaml?x=1", "b/c.png"},
		{"file:///etc/kefu/rules.yaml", "/x y.png"},
		{"rules/kefu.yaml", "media/card.png"},
		{"embed:///rules.yaml", "media/图片.png"},
		{"rules.yaml", "s3://b/k"},
		{"s3://b/k", "%zz"},
		{"http://[::1]:80/a", "b"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, base, ref string) {
		got, err := store.Resolve(base, ref)
		if err != nil {
			if !errors.Is(err, store.ErrBadSource) {
				t.Fatalf("Resolve(%q, %q): %v does not match ErrBadSource", base, ref, err)
			}
			return
		}
		loc, err := store.Parse(got)
		if err != nil {
			t.Fatalf("Resolve(%q, %q) = %q, which does not parse: %v", base, ref, got, err)
		}
		if loc.URL != got {
			t.Fatalf("Resolve(%q, %q) = %q, which parses to %q", base, ref, got, loc.URL)
		}
	})
}
