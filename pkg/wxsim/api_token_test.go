package wxsim

import (
	"net/url"
	"testing"
	"time"
)

func TestStableTokenRefusals(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name   string
		method string
		body   string
		want   int
	}{
		{"GET", "GET", "", 43002},
		{"empty body", "POST", "", 44002},
		{"form body", "POST", "grant_type=client_credential&appid=" + testAppID + "&secret=" + testSecret, 47001},
		{"not an object", "POST", `[]`, 47001},
		{"unknown field", "POST", `{"grant_type":"client_credential","appid":"` + testAppID + `","secret":"` + testSecret + `","force":false}`, 47001},
		{"force_refresh as string", "POST", `{"grant_type":"client_credential","appid":"` + testAppID + `","secret":"` + testSecret + `","force_refresh":"false"}`, 47001},
		{"trailing data", "POST", string(stableBody(testAppID, testSecret, false)) + "{}", 47001},
		{"grant_type", "POST", `{"grant_type":"authorization_code","appid":"` + testAppID + `","secret":"` + testSecret + `"}`, 40002},
		{"no appid", "POST", `{"grant_type":"client_credential","secret":"` + testSecret + `"}`, 41002},
		{"no secret", "POST", `{"grant_type":"client_credential","appid":"` + testAppID + `"}`, 41004},
		{"wrong appid", "POST", string(stableBody("wx0000000000000000", testSecret, false)), 40013},
		{"wrong secret", "POST", string(stableBody(testAppID, "nope", false)), 40125},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _ := f.call(tc.method, PathStableToken, "application/json", []byte(tc.body))
			if code != tc.want {
				t.Fatalf("errcode %d, want %d", code, tc.want)
			}
		})
	}
	if n := f.api.ForceRefreshes(); n != 0 {
		t.Fatalf("ForceRefreshes = %d", n)
	}
}

func TestStableTokenLife(t *testing.T) {
	f := newFixture(t, nil)
	_, m := f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, false))
	tok := m["access_token"].(string)
	if exp := m["expires_in"].(float64); exp != 7200 {
		t.Fatalf("expires_in = %v", exp)
	}
	if len(tok) < 64 {
		t.Fatalf("token %q is short", tok)
	}
	f.clock.Add(time.Hour)
	_, m = f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, false))
	if m["access_token"] != tok || m["expires_in"].(float64) != 3600 {
		t.Fatalf("an hour later: %v, want the same token with 3600 s left", m)
	}
	// Within 5 minutes of expiry the platform hands out a new token; the old one overlaps.
	f.clock.Add(time.Hour - 4*time.Minute)
	_, m = f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, false))
	tok2 := m["access_token"].(string)
	if tok2 == tok || m["expires_in"].(float64) != 7200 {
		t.Fatalf("near expiry: %v, want a new token", m)
	}
	if code := f.send(tok, textMsg(testUser, "hi")); code != 0 {
		t.Fatalf("old token during the overlap: errcode %d", code)
	}
	f.clock.Add(4 * time.Minute)
	if code := f.send(tok, textMsg(testUser, "hi")); code != 42001 {
		t.Fatalf("old token after expiry: errcode %d, want 42001", code)
	}
	if code := f.send(tok2, textMsg(testUser, "hi")); code != 0 {
		t.Fatalf("new token: errcode %d", code)
	}
}

func TestStableForceRefresh(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	_, m := f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, true))
	tok2 := m["access_token"].(string)
	if tok2 == tok {
		t.Fatal("force_refresh returned the same token")
	}
	if code := f.send(tok, textMsg(testUser, "hi")); code != 40001 {
		t.Fatalf("token replaced by force_refresh: errcode %d, want 40001", code)
	}
	// Within 30 s of the last forced refresh nothing is refreshed.
	f.clock.Add(10 * time.Second)
	_, m = f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, true))
	if m["access_token"] != tok2 {
		t.Fatal("a second force_refresh within 30 s rotated the token")
	}
	if n := f.api.ForceRefreshes(); n != 2 {
		t.Fatalf("ForceRefreshes = %d, want 2", n)
	}
}

func TestClassicToken(t *testing.T) {
	f := newFixture(t, nil)
	q := func(grant, appid, secret string) string {
		return PathToken + "?" + url.Values{"grant_type": {grant}, "appid": {appid}, "secret": {secret}}.Encode()
	}
	for _, tc := range []struct {
		target string
		want   int
	}{
		{q("nope", testAppID, testSecret), 40002},
		{PathToken + "?grant_type=client_credential&secret=x", 41002},
		{PathToken + "?grant_type=client_credential&appid=" + testAppID, 41004},
		{q("client_credential", "wx0000000000000000", testSecret), 40013},
		{q("client_credential", testAppID, "wrong"), 40001},
	} {
		if code, _ := f.call("GET", tc.target, "", nil); code != tc.want {
			t.Errorf("%s: errcode %d, want %d", tc.target, code, tc.want)
		}
	}
	if code, _ := f.call("POST", q("client_credential", testAppID, testSecret), "", nil); code != 43001 {
		t.Errorf("POST: errcode %d, want 43001", code)
	}

	stable := f.token()
	_, m := f.call("GET", q("client_credential", testAppID, testSecret), "", nil)
	first := m["access_token"].(string)
	_, m = f.call("GET", q("client_credential", testAppID, testSecret), "", nil)
	second := m["access_token"].(string)
	if first == second {
		t.Fatal("classic token did not change")
	}
	if code := f.send(first, textMsg(testUser, "hi")); code != 0 {
		t.Fatalf("previous classic token within the overlap: errcode %d", code)
	}
	f.clock.Add(5 * time.Minute)
	if code := f.send(first, textMsg(testUser, "hi")); code != 40001 {
		t.Fatalf("previous classic token after the overlap: errcode %d, want 40001", code)
	}
	for name, tok := range map[string]string{"newest classic": second, "stable": stable} {
		if code := f.send(tok, textMsg(testUser, "hi")); code != 0 {
			t.Fatalf("%s token: errcode %d", name, code)
		}
	}
}

func TestTokenChecks(t *testing.T) {
	f := newFixture(t, nil)
	if code, _ := f.call("POST", PathSend, "", []byte(textMsg(testUser, "hi"))); code != 41001 {
		t.Fatalf("no token: errcode %d, want 41001", code)
	}
	if code := f.send("made-up", textMsg(testUser, "hi")); code != 40001 {
		t.Fatalf("unknown token: errcode %d, want 40001", code)
	}
	tok := f.token()
	f.clock.Add(2 * time.Hour)
	if code := f.send(tok, textMsg(testUser, "hi")); code != 42001 {
		t.Fatalf("expired token: errcode %d, want 42001", code)
	}
	tok = f.token()
	if code := f.send(tok, textMsg(testUser, "hi")); code != 0 {
		t.Fatalf("fresh token: errcode %d", code)
	}
	f.api.ExpireTokens()
	if code := f.send(tok, textMsg(testUser, "hi")); code != 42001 {
		t.Fatalf("after ExpireTokens: errcode %d, want 42001", code)
	}
	if tok2 := f.token(); tok2 == tok {
		t.Fatal("stable_token returned an expired token")
	}
}
