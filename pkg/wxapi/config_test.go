package wxapi

import (
	"errors"
	"testing"
)

func TestNewValidates(t *testing.T) {
	ok := Config{AppID: testAppID, AppSecret: testSecret}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no AppID", func(c *Config) { c.AppID = "" }},
		{"no AppSecret", func(c *Config) { c.AppSecret = "" }},
		{"AppID with a query", func(c *Config) { c.AppID = "wx1&x=2" }},
		{"BaseURL scheme", func(c *Config) { c.BaseURL = "ftp://api.weixin.qq.com" }},
		{"BaseURL without host", func(c *Config) { c.BaseURL = "https://" }},
		{"BaseURL with query", func(c *Config) { c.BaseURL = "https://h/?a=1" }},
		{"TokenAPI", func(c *Config) { c.TokenAPI = "fast" }},
		{"SendPath", func(c *Config) { c.SendPath = "/cgi-bin/message/send" }},
		{"TypingPath", func(c *Config) { c.TypingPath = "/typing" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			if _, err := New(cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("New: %v, want ErrConfig", err)
			}
		})
	}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.base != DefaultBaseURL || c.classic || c.sendPath != SendPath || c.typingPath != TypingPath {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = New(Config{BaseURL: "http://127.0.0.1:9/wx///", AppID: testAppID, AppSecret: testSecret,
		TokenAPI: TokenClassic, SendPath: BusinessSendPath, TypingPath: BusinessTypingPath})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "http://127.0.0.1:9/wx" || !c.classic || c.sendURL != "http://127.0.0.1:9/wx"+BusinessSendPath+"?access_token=" {
		t.Fatalf("options: base %q send %q", c.base, c.sendURL)
	}
}
