package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/store/storetest"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// End-to-end tests of the Web function: the built binary, over HTTP, exactly as WeChat drives
// it, against wxsim's strict fake of the WeChat API and S3 over HTTP (gofakes3, behind a proxy
// that can be made slow; moto_server for the cross-process dedup). One case at least for every
// row of DESIGN.md's HTTP table and every rule under "What the table leaves open".

const (
	webAppID     = "wx0000000000kefu0"
	webSecret    = "kefu-e2e-secret-0123456789abcdef"
	webToken     = "kefuE2EToken"
	webKey       = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	webKeyNext   = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	webBucket    = "kefu-rules"
	webRulesPath = "kefu/rules.yaml"
)

// webWorld is WeChat's API and the S3 bucket the functions under test use.
type webWorld struct {
	api      *wxsim.API
	apiURL   string
	s3URL    string       // the proxy in front of gofakes3
	s3Delay  atomic.Int64 // nanoseconds added to every GET of an image
	s3Gets   atomic.Int64 // image GETs seen
	s3Server *httptest.Server
}

func newWebWorld(t *testing.T) *webWorld {
	t.Helper()
	w := &webWorld{api: wxsim.NewAPI(wxsim.APIOptions{AppID: webAppID, AppSecret: webSecret})}
	apiSrv := httptest.NewServer(w.api)
	t.Cleanup(apiSrv.Close)
	w.apiURL = apiSrv.URL

	fake := storetest.NewFake(t, webBucket)
	opts := storetest.Options(fake)
	storetest.Put(t, opts, webBucket, webRulesPath, []byte(testkit.Rules))
	storetest.Put(t, opts, webBucket, "kefu/media/qr.png", testkit.PNG())
	target, _ := url.Parse(fake)
	proxy := httputil.NewSingleHostReverseProxy(target)
	w.s3Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/media/") {
			w.s3Gets.Add(1)
			select {
			case <-time.After(time.Duration(w.s3Delay.Load())):
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.s3Server.Close)
	w.s3URL = w.s3Server.URL
	return w
}

// webProc is one running Web function.
type webProc struct {
	url      string
	cmd      *exec.Cmd
	logs     *testkit.Buffer
	done     chan error    // the exit, for one reader
	exited   chan struct{} // closed at the exit
	stopOnce sync.Once
}

// stop ends the function gracefully (SIGTERM), killing it after 10 seconds, and waits.
func (p *webProc) stop() {
	p.stopOnce.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// webEnv is the environment of a function in world w; extra entries override.
func (w *webWorld) env(port int, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"WECHAT_APPID=" + webAppID, "WECHAT_APPSECRET=" + webSecret, "WECHAT_TOKEN=" + webToken,
		"WECHAT_ENCODING_AES_KEY=" + webKey, "WECHAT_API_BASE=" + w.apiURL,
		"KEFU_RULES=s3://" + webBucket + "/" + webRulesPath,
		"AWS_ENDPOINT_URL_S3=" + w.s3URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=e2e-secret-key",
		fmt.Sprintf("PORT=%d", port),
	}
	return append(env, extra...)
}

// startWeb starts the binary with env and waits until it answers.
func startWeb(t testing.TB, env []string) *webProc {
	t.Helper()
	return startWebBinary(t, binary(t), env)
}

// startWebBinary starts the binary bin with env and waits until it answers.
func startWebBinary(t testing.TB, bin string, env []string) *webProc {
	t.Helper()
	port := 0
	for _, kv := range env {
		if strings.HasPrefix(kv, "PORT=") {
			fmt.Sscan(strings.TrimPrefix(kv, "PORT="), &port)
		}
	}
	p := &webProc{url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &testkit.Buffer{}, done: make(chan error, 1), exited: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		close(p.exited)
		p.done <- err
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("the function exited: %v\n%s", err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function did not listen:\n%s", p.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *webWorld) pusher(t *testing.T, u string, mode push.Mode, f push.Format) *wxsim.Pusher {
	t.Helper()
	key := webKey
	if mode == push.Plaintext {
		key = ""
	}
	p, err := wxsim.NewPusher(wxsim.PusherOptions{URL: u, AppID: webAppID, Token: webToken, EncodingAESKey: key, Mode: mode, Format: f, API: w.api})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sent lists what WeChat accepted for openid, as "type:content".
func (w *webWorld) sent(openid string) []string {
	var out []string
	for _, e := range w.api.Events(openid, 0) {
		if e.Kind != wxsim.EventMessage {
			continue
		}
		switch m := e.Message; {
		case m.Text != nil:
			out = append(out, "text:"+m.Text.Content)
		case m.Image != nil:
			out = append(out, "image")
		default:
			out = append(out, m.MsgType)
		}
	}
	return out
}

func webPost(t *testing.T, p *wxsim.Pusher, m *push.Message) *wxsim.Result {
	t.Helper()
	r, err := p.Post(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func webRepost(t *testing.T, p *wxsim.Pusher, s push.Sealed) *wxsim.Result {
	t.Helper()
	r, err := p.Repost(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func same(a []string, b ...string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

var openidSeq atomic.Int64

// newUser returns a fresh OpenID, so each case reads its own conversation.
func newUser() string { return fmt.Sprintf("oE2E%024d", openidSeq.Add(1)) }

func cloneQuery(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

func TestWebFunction(t *testing.T) {
	w := newWebWorld(t)
	proc := startWeb(t, w.env(freePort(t)))
	safeJSON := w.pusher(t, proc.url, push.Safe, push.JSON)

	t.Run("GET verification answers echostr on any path", func(t *testing.T) {
		for _, path := range []string{"", "/", "/wechat/push"} {
			r, err := w.pusher(t, proc.url+path, push.Safe, push.XML).Verify(context.Background(), "4375120948345356249")
			if err != nil || r.Status != 200 || string(r.Body) != "4375120948345356249" || r.ContentType != "text/plain; charset=utf-8" {
				t.Fatalf("%q: %v %+v", path, err, r)
			}
		}
	})

	t.Run("GET refusals", func(t *testing.T) {
		sealer := safeJSON.Sealer()
		q, _ := sealer.Verification("123", push.SealOptions{})
		bad := cloneQuery(q)
		bad.Set("signature", strings.Repeat("0", 40))
		stale, _ := sealer.Verification("123", push.SealOptions{Time: time.Now().Add(-10 * time.Minute)})
		noEcho := cloneQuery(q)
		noEcho.Del("echostr")
		for _, c := range []struct {
			q      url.Values
			status int
		}{{bad, 401}, {stale, 401}, {noEcho, 400}} {
			resp, err := http.Get(proc.url + "/?" + c.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || len(body) == 0 {
				t.Errorf("%v: %d %q, want %d", c.q, resp.StatusCode, body, c.status)
			}
		}
	})

	t.Run("every mode and format replies once", func(t *testing.T) {
		for _, mode := range []push.Mode{push.Plaintext, push.Compatible, push.Safe} {
			for _, f := range []push.Format{push.XML, push.JSON} {
				u := newUser()
				r := webPost(t, w.pusher(t, proc.url, mode, f), w.pusherText(u, "你好"))
				if !r.Success || r.ContentType != "text/plain; charset=utf-8" {
					t.Fatalf("%s %s: %d %q", mode, f, r.Status, r.Body)
				}
				if got := w.sent(u); !same(got, "text:你好！") {
					t.Fatalf("%s %s: sent %v", mode, f, got)
				}
			}
		}
	})

	t.Run("WeChat's retry sends nothing again", func(t *testing.T) {
		u := newUser()
		r := webPost(t, safeJSON, w.pusherText(u, "三条"))
		again := webRepost(t, safeJSON, r.Sealed)
		if !r.Success || !again.Success || !same(w.sent(u), "text:一", "text:二", "text:三") {
			t.Fatalf("%q %q %v", r.Body, again.Body, w.sent(u))
		}
	})

	t.Run("copies in flight at once reply once", func(t *testing.T) {
		u := newUser()
		sealed, err := safeJSON.Seal(w.pusherText(u, "你好"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if r, err := safeJSON.Repost(context.Background(), sealed); err != nil || !r.Success {
					t.Errorf("%v %+v", err, r)
				}
			})
		}
		wg.Wait()
		if got := w.sent(u); !same(got, "text:你好！") {
			t.Fatalf("sent %v", got)
		}
	})

	t.Run("events: the user_enter_tempsession rule; other events nothing", func(t *testing.T) {
		u := newUser()
		webPost(t, safeJSON, safeJSON.Enter(u, "首页按钮"))
		other := safeJSON.Enter(u, "")
		other.Event, other.CreateTime = "subscribe_msg_popup_event", other.CreateTime+1
		if r := webPost(t, safeJSON, other); !r.Success {
			t.Fatalf("%q", r.Body)
		}
		if got := w.sent(u); !same(got, "text:欢迎") {
			t.Fatalf("sent %v", got)
		}
	})

	t.Run("transfer reply encrypted in the push's own format, and again on a retry", func(t *testing.T) {
		for _, mode := range []push.Mode{push.Safe, push.Compatible, push.Plaintext} {
			for _, f := range []push.Format{push.XML, push.JSON} {
				p := w.pusher(t, proc.url, mode, f)
				u := newUser()
				m := w.pusherText(u, "转人工")
				r := webPost(t, p, m)
				if r.Status != 200 || r.Answer == nil || r.AnswerErr != nil {
					t.Fatalf("%s %s: %d %q %v", mode, f, r.Status, r.Body, r.AnswerErr)
				}
				encrypted := bytes.Contains(r.Body, []byte("Encrypt"))
				if encrypted != (mode != push.Plaintext) || r.Answer.Format != f {
					t.Fatalf("%s %s: %s", mode, f, r.Body)
				}
				if r.Answer.MsgType != push.MsgTypeTransfer || r.Answer.ToUserName != u || r.Answer.FromUserName != m.ToUserName {
					t.Fatalf("%s %s: %+v", mode, f, r.Answer)
				}
				again := webRepost(t, p, r.Sealed)
				if again.Answer == nil || again.Answer.MsgType != push.MsgTypeTransfer {
					t.Fatalf("%s %s: retry answered %q", mode, f, again.Body)
				}
			}
		}
	})

	t.Run("refusals: status, short reason, nothing sent", func(t *testing.T) {
		u := newUser()
		m := w.pusherText(u, "你好")
		good, _ := safeJSON.Seal(m)
		plainP := w.pusher(t, proc.url, push.Plaintext, push.XML)
		plain, _ := plainP.Seal(m)
		otherApp, _ := push.NewSealer("wx1111111111other", webToken, webKey)
		foreign, _ := otherApp.Seal(m, push.SealOptions{Mode: push.Safe, Format: push.JSON})
		badB64 := push.Sealed{Query: cloneQuery(good.Query), Body: []byte(`{"ToUserName":"gh_x","Encrypt":"@@@@"}`)}
		badB64.Query.Set("msg_signature", push.Signature(webToken, good.Query.Get("timestamp"), good.Query.Get("nonce"), "@@@@"))

		with := func(s push.Sealed, k, v string) push.Sealed {
			q := cloneQuery(s.Query)
			if v == "" {
				q.Del(k)
			} else {
				q.Set(k, v)
			}
			return push.Sealed{Query: q, Body: s.Body}
		}
		cases := []struct {
			name   string
			s      push.Sealed
			status int
		}{
			{"bad msg_signature", with(good, "msg_signature", strings.Repeat("a", 40)), 401},
			{"missing msg_signature (signature alone authenticates nothing)", with(good, "msg_signature", ""), 401},
			{"bad signature, plaintext", with(plain, "signature", strings.Repeat("a", 40)), 401},
			{"timestamp outside the window", with(good, "timestamp", fmt.Sprint(time.Now().Add(-6*time.Minute).Unix())), 401},
			{"wrong AppID inside", foreign, 401},
			{"not XML or JSON", push.Sealed{Query: plain.Query, Body: []byte("hello")}, 400},
			{"bad base64 under a good msg_signature", badB64, 400},
			{"body over 1 MiB", push.Sealed{Query: plain.Query, Body: bytes.Repeat([]byte(" "), push.MaxBodySize+1)}, 413},
		}
		for _, c := range cases {
			r := webRepost(t, safeJSON, c.s)
			if r.Status != c.status || r.ContentType != "text/plain; charset=utf-8" || len(r.Body) == 0 || len(r.Body) > 100 {
				t.Errorf("%s: %d %q, want %d with a short reason", c.name, r.Status, r.Body, c.status)
			}
		}
		for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodHead} {
			req, _ := http.NewRequest(method, proc.url+"/", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s: %d", method, resp.StatusCode)
			}
		}
		if got := w.sent(u); len(got) != 0 {
			t.Fatalf("refusals sent %v", got)
		}
	})

	t.Run("WeChat refusing the conversation: success, logged, no retry storm", func(t *testing.T) {
		for _, code := range []int{45015, 45047, 40003} {
			u := newUser()
			before := w.api.Count(wxsim.PathSend)
			w.api.Fail(wxsim.PathSend, code, 1)
			r := webPost(t, safeJSON, w.pusherText(u, "三条"))
			if !r.Success {
				t.Fatalf("%d: %q", code, r.Body)
			}
			if n := w.api.Count(wxsim.PathSend) - before; n != 1 {
				t.Fatalf("%d: %d send calls, want 1", code, n)
			}
			if !waitLog(proc.logs, fmt.Sprintf(`"errcode":%d`, code)) {
				t.Fatalf("%d: not logged\n%s", code, proc.logs)
			}
		}
	})

	t.Run("a missing image still answers success and sends the rest", func(t *testing.T) {
		u := newUser()
		r := webPost(t, safeJSON, w.pusherText(u, "坏图"))
		if !r.Success || !same(w.sent(u), "text:后面这条照发") {
			t.Fatalf("%q %v", r.Body, w.sent(u))
		}
	})

	t.Run("S3 answering after 1.5 s still delivers the image", func(t *testing.T) {
		w.s3Delay.Store(int64(1500 * time.Millisecond))
		defer w.s3Delay.Store(0)
		// A fresh process, so the image is not in its media cache.
		fresh := startWeb(t, w.env(freePort(t)))
		u := newUser()
		gets := w.s3Gets.Load()
		start := time.Now()
		r := webPost(t, w.pusher(t, fresh.url, push.Safe, push.XML), w.pusherText(u, "图片"))
		if !r.Success || !same(w.sent(u), "text:看图", "image") || w.s3Gets.Load() == gets {
			t.Fatalf("%q %v (S3 GETs %d)\n%s", r.Body, w.sent(u), w.s3Gets.Load()-gets, fresh.logs)
		}
		if d := time.Since(start); d < 1500*time.Millisecond || d > 4*time.Second {
			t.Fatalf("answered after %v", d)
		}
	})

	t.Run("deadline: a hung WeChat API is abandoned in time and never sent twice", func(t *testing.T) {
		w.api.Delay(wxsim.PathSend, 6*time.Second)
		u := newUser()
		start := time.Now()
		r := webPost(t, safeJSON, w.pusherText(u, "你好"))
		took := time.Since(start)
		w.api.Delay(wxsim.PathSend, 0)
		if !r.Success || took > 4800*time.Millisecond { // KEFU_DEADLINE (4 s), well inside WeChat's 5 s
			t.Fatalf("answered %d %q after %v", r.Status, r.Body, took)
		}
		if !waitLog(proc.logs, `"outcome":"abandoned"`) {
			t.Fatalf("not logged\n%s", proc.logs)
		}
		before := w.api.Count(wxsim.PathSend)
		if again := webRepost(t, safeJSON, r.Sealed); !again.Success || w.api.Count(wxsim.PathSend) != before {
			t.Fatal("the retry of an abandoned push sent again")
		}
	})

	t.Run("no secret in the logs", func(t *testing.T) {
		u := newUser()
		webPost(t, safeJSON, w.pusherText(u, "你好 这是私密内容"))
		// The stable API hands every caller the same token while it is valid: this is the
		// token the function holds.
		resp, err := http.Post(w.apiURL+wxsim.PathStableToken, "application/json", strings.NewReader(
			`{"grant_type":"client_credential","appid":"`+webAppID+`","secret":"`+webSecret+`","force_refresh":false}`))
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if tok.AccessToken == "" {
			t.Fatal("no token from the fake")
		}
		logs := proc.logs.String()
		for _, secret := range []string{webSecret, webToken, webKey, "e2e-secret-key", tok.AccessToken, u, "私密内容"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs hold %q", secret)
			}
		}
		sc := bufio.NewScanner(strings.NewReader(logs))
		for sc.Scan() {
			if line := sc.Text(); line != "" && !strings.HasPrefix(line, "{") {
				t.Errorf("a log line that is not JSON: %q", line)
			}
		}
	})

	t.Run("SIGTERM stops it gracefully", func(t *testing.T) {
		p := startWeb(t, w.env(freePort(t)))
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			if err != nil {
				t.Fatalf("exit: %v\n%s", err, p.logs)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("did not stop")
		}
	})
}

// pusherText builds a text message to the test AppID's mini program.
func (w *webWorld) pusherText(openid, content string) *push.Message {
	return &push.Message{ToUserName: "gh_0000000kefu0", FromUserName: openid, CreateTime: time.Now().Unix(),
		MsgType: push.TypeText, Content: content, MsgID: fmt.Sprint(23637352235060880 + openidSeq.Add(1))}
}

// waitLog waits (up to 5 s, for a loaded CI machine) for a log line holding s: the process
// logs a push after answering it.
func waitLog(l *testkit.Buffer, s string) bool {
	for range 500 {
		if strings.Contains(l.String(), s) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestWebRequireEncryptionAndKeyRotation(t *testing.T) {
	w := newWebWorld(t)
	proc := startWeb(t, w.env(freePort(t), "KEFU_REQUIRE_ENCRYPTION=true",
		"WECHAT_ENCODING_AES_KEY="+webKeyNext, "WECHAT_ENCODING_AES_KEY_PREVIOUS="+webKey))

	u := newUser()
	plain := webPost(t, w.pusher(t, proc.url, push.Plaintext, push.JSON), w.pusherText(u, "你好"))
	if plain.Status != 401 {
		t.Fatalf("plaintext while encryption is required: %d %q", plain.Status, plain.Body)
	}
	// A push under the previous key opens, and its transfer reply uses that key.
	old := w.pusher(t, proc.url, push.Safe, push.XML)
	r := webPost(t, old, w.pusherText(u, "人工"))
	if r.Answer == nil || r.AnswerErr != nil {
		t.Fatalf("previous key: %d %q %v", r.Status, r.Body, r.AnswerErr)
	}
	next, err := wxsim.NewPusher(wxsim.PusherOptions{URL: proc.url, AppID: webAppID, Token: webToken, EncodingAESKey: webKeyNext, Mode: push.Safe})
	if err != nil {
		t.Fatal(err)
	}
	r = webPost(t, next, w.pusherText(u, "你好"))
	stranger, _ := wxsim.NewPusher(wxsim.PusherOptions{URL: proc.url, AppID: webAppID, Token: webToken,
		EncodingAESKey: "0123456789012345678901234567890123456789012", Mode: push.Safe})
	if s := webPost(t, stranger, w.pusherText(u, "你好")); s.Status != 400 {
		t.Fatalf("a key that is neither: %d %q", s.Status, s.Body)
	}
	if !r.Success || !same(w.sent(u), "text:你好！") {
		t.Fatalf("current key: %q %v", r.Body, w.sent(u))
	}
}

func TestWebStartupRefusesBadConfiguration(t *testing.T) {
	w := newWebWorld(t)
	for _, c := range []struct {
		env  []string
		name string
	}{
		{[]string{"WECHAT_TOKEN="}, "WECHAT_TOKEN"},
		{[]string{"WECHAT_APPID="}, "WECHAT_APPID"},
		{[]string{"KEFU_DEADLINE=4"}, "KEFU_DEADLINE"},
		{[]string{"KEFU_REQUIRE_ENCRYPTION=yes"}, "KEFU_REQUIRE_ENCRYPTION"},
		{[]string{"WECHAT_ENCODING_AES_KEY=short"}, "WECHAT_ENCODING_AES_KEY"},
		{[]string{"KEFU_RULES=s3://" + webBucket + "/no/such/rules.yaml"}, "KEFU_RULES"},
	} {
		cmd := exec.Command(binary(t))
		cmd.Env = w.env(freePort(t), c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%v: started", c.env)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.name) {
			t.Errorf("%v: the last line does not name %s:\n%s", c.env, c.name, out)
		}
		if strings.Contains(string(out), "short\"") && c.name == "WECHAT_ENCODING_AES_KEY" {
			t.Errorf("the key is repeated: %s", out)
		}
	}
}

// Two processes sharing one KEFU_DEDUP prefix on moto_server: the same push posted to both at
// once, then again to each, gives exactly one reply.
func TestWebDedupAcrossProcesses(t *testing.T) {
	w := newWebWorld(t)
	moto := storetest.StartMoto(t)
	opts := storetest.Options(moto)
	bucket := storetest.NewBucket(t, opts)
	shared := []string{"KEFU_DEDUP=s3://" + bucket + "/kefu/dedup", "KEFU_DEDUP_TTL=1s"}
	// The rules stay on gofakes3; the claims go to moto: both through AWS_ENDPOINT_URL_S3,
	// so put the rules on moto too.
	storetest.Put(t, opts, bucket, webRulesPath, []byte(testkit.Rules))
	env := func() []string {
		e := w.env(freePort(t), shared...)
		return append(e, "AWS_ENDPOINT_URL_S3="+moto, "KEFU_RULES=s3://"+bucket+"/"+webRulesPath)
	}
	a := startWeb(t, env())
	b := startWeb(t, env())
	pa := w.pusher(t, a.url, push.Safe, push.JSON)
	pb := w.pusher(t, b.url, push.Safe, push.JSON)
	for i := range 5 {
		u := newUser()
		sealed, err := pa.Seal(w.pusherText(u, "你好"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, p := range []*wxsim.Pusher{pa, pb} {
			wg.Go(func() {
				if r, err := p.Repost(context.Background(), sealed); err != nil || !r.Success {
					t.Errorf("%v %+v", err, r)
				}
			})
		}
		wg.Wait()
		time.Sleep(1100 * time.Millisecond) // past the in-memory TTL: only the shared claim remembers
		webRepost(t, pa, sealed)
		webRepost(t, pb, sealed)
		if got := w.sent(u); !same(got, "text:你好！") {
			t.Fatalf("round %d: sent %v\nA:\n%s\nB:\n%s", i, got, a.logs, b.logs)
		}
	}
}

// A store that answers every conditional write with success is found by the probe and
// logged; dedup falls back to memory.
func TestWebDedupProbeFindsDishonestStore(t *testing.T) {
	w := newWebWorld(t)
	dishonest := storetest.NewFakeIgnoringConditions(t, "claims")
	opts := storetest.Options(dishonest)
	storetest.Put(t, opts, "claims", webRulesPath, []byte(testkit.Rules))
	env := w.env(freePort(t), "KEFU_DEDUP=s3://claims/dedup", "AWS_ENDPOINT_URL_S3="+dishonest, "KEFU_RULES=s3://claims/"+webRulesPath)
	p := startWeb(t, env)
	u := newUser()
	pusher := w.pusher(t, p.url, push.Safe, push.XML)
	r := webPost(t, pusher, w.pusherText(u, "你好"))
	again := webRepost(t, pusher, r.Sealed)
	if !r.Success || !again.Success || !same(w.sent(u), "text:你好！") {
		t.Fatalf("%q %q %v", r.Body, again.Body, w.sent(u))
	}
	if !waitLog(p.logs, "does not honour conditional writes") || !strings.Contains(p.logs.String(), `"level":"ERROR"`) {
		t.Fatalf("the probe's finding is not logged as an error:\n%s", p.logs)
	}
}

// TestWebHeapOnHugePages: the binary imports internal/hugeheap, so its heap mapping is
// advised for transparent huge pages (VmFlags "hg") where the kernel has them.
func TestWebHeapOnHugePages(t *testing.T) {
	if mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("no transparent huge pages here (%q, %v)", mode, err)
	}
	w := newWebWorld(t)
	p := startWeb(t, w.env(freePort(t)))
	smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", p.cmd.Process.Pid))
	if err != nil {
		t.Skip("no /proc:", err)
	}
	for _, line := range strings.Split(string(smaps), "\n") {
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && strings.Contains(flags+" ", " hg ") {
			return
		}
	}
	t.Fatal("no mapping of the running function is advised for huge pages")
}
