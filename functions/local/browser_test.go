package main

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "write the README's screenshot, docs/chat.png, from the browser test")

// screenshotPath is the README's picture of the chat page, from this package.
const screenshotPath = "../../docs/chat.png"

// The viewport of the screenshot: a laptop browser window.
const (
	shotWidth  = 1280
	shotHeight = 800
	shotScale  = 2 // device pixels per CSS pixel: sharp on high-density screens
)

// chromium returns Debian's Chromium. Without it the browser test skips on a laptop and
// fails in CI, where a skipped test would prove nothing.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed (.ci/run installs Debian's chromium package)")
	}
	t.Skip("Chromium is not installed; to run the browser test: apt-get install chromium")
	return ""
}

// newBrowser starts a headless Chromium for the test, with a fresh profile, that reaches
// nothing but loopback, and stops it when the test ends.
func newBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // the build machines run tests as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "zh-CN"),
		// Tests use loopback only: a link card's public thumbnail fails to load, as offline.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(shotWidth, shotHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser to exit
	})
	// Start the browser now: the tabs opened from ctx share it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return ctx
}

// chatPage drives the chat page in one tab: one demo user.
type chatPage struct {
	t   *testing.T
	ctx context.Context
}

// openChat opens a new tab on the page (a new tab is a new user) and waits until it is ready.
// Uncaught errors of the page's script are collected, for check.
func openChat(t *testing.T, browser context.Context, url string) *chatPage {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, stop := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(stop)
	p := &chatPage{t: t, ctx: ctx}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__errors = []; window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
		         window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));`,
	}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.EmulateViewport(shotWidth, shotHeight, chromedp.EmulateScale(shotScale)), chromedp.Navigate(url))
	p.wait(`document.body.dataset.ready === 'true'`, "the page to be ready")
	return p
}

func (p *chatPage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// wait polls a JavaScript predicate until it holds.
func (p *chatPage) wait(predicate, what string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (p *chatPage) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// enter taps a contact button of the mini-program page.
func (p *chatPage) enter(sessionFrom string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(`button[data-session-from="` + sessionFrom + `"]`)))
}

// say types a message and sends it.
func (p *chatPage) say(text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.ID("input"), text), chromedp.Click(chromedp.ID("send")))
}

// check fails the test if the page's script threw.
func (p *chatPage) check() {
	p.t.Helper()
	if errs := p.eval(`window.__errors.join('\n')`); errs != "" {
		p.t.Errorf("the page's script failed:\n%s", errs)
	}
}

// waitKefuText waits for a text bubble from the service that holds s.
func (p *chatPage) waitKefuText(s string) {
	p.t.Helper()
	p.wait(`[...document.querySelectorAll('#messages .msg.kefu .bubble')].some((b) => b.textContent.includes(`+jsString(s)+`))`,
		"the reply "+s)
}

// waitImage waits until the service's latest image is fully loaded, and returns its natural
// width and its src.
func (p *chatPage) waitImage() (int, string) {
	p.t.Helper()
	const last = `[...document.querySelectorAll('#messages .msg.kefu img.media')].at(-1)`
	p.wait(`(() => { const i = `+last+`; return !!i && i.complete && i.naturalWidth > 0; })()`, "the image to load")
	w, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](last+`.naturalWidth`))
	if err != nil {
		p.t.Fatal(err)
	}
	return w, p.eval(last + `.getAttribute('src')`)
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// TestBrowser drives the chat page in headless Chromium as a user would: it enters the
// session through the article's contact button and sees the welcome, sends 训练营 and sees
// the link card, sends 下载 and sees the typing state and the image, rendered with the bytes
// from storage, and asks for a human and sees the hand-over. With -update it then writes
// the README's screenshot.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	th := startHost(t, nil) // a fresh clone: nothing configured, the bundled rules
	browser := newBrowser(t, bin)
	p := openChat(t, browser, th.URL+"/")

	p.enter("文章详情的客服按钮")
	p.wait(`!document.getElementById('chat').classList.contains('hidden')`, "the chat to open")
	p.waitKefuText("欢迎！看完文章有疑问？")
	p.wait(`document.querySelector('#panel .badge.rule b')?.textContent === 'from-article'`, "the panel to show the rule")

	p.say("训练营")
	p.wait(`[...document.querySelectorAll('#messages .linkcard .linkcard-title')].some((e) => e.textContent === '快来加入云开发技术训练营')`,
		"the link card")
	if desc := p.eval(`document.querySelector('#messages .linkcard .linkcard-desc').textContent`); desc != "零基础也能在 10 天内学会开发一个小程序" {
		t.Errorf("link card description %q", desc)
	}

	// The typing state shows in the title bar until the reply arrives: watch the title.
	p.eval(`(() => { window.__typing = false;
		new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if ((n.data || '').includes('对方正在输入')) window.__typing = true; })
			.observe(document.getElementById('chat-title'), { childList: true, subtree: true, characterData: true });
		return ''; })()`)
	p.say("下载")
	p.waitKefuText("扫描下方二维码下载 App：")
	width, src := p.waitImage()
	qr, err := os.ReadFile(filepath.Join(examplesDir, "media", "download-qr.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(qr))
	if err != nil {
		t.Fatal(err)
	}
	if width != cfg.Width {
		t.Errorf("the image is %d pixels wide; examples/media/download-qr.png is %d", width, cfg.Width)
	}
	status, body, _ := th.do(http.MethodGet, src, nil)
	if status != http.StatusOK || !bytes.Equal(body, qr) {
		t.Errorf("the image shown (%s) is not the bytes of examples/media/download-qr.png", src)
	}
	p.wait(`window.__typing === true`, "the typing state to have shown")
	p.wait(`document.getElementById('chat-title').textContent === '客服'`, "the typing state to clear")
	p.wait(`[...document.querySelectorAll('#panel .call-path')].some((e) => e.textContent === '/cgi-bin/message/custom/typing')`,
		"the panel to list the typing call")

	p.say("人工")
	p.waitKefuText("正在为您转接人工客服")
	p.wait(`[...document.querySelectorAll('#messages .note.transfer')].some((e) => e.textContent.includes('已转接人工客服'))`,
		"the hand-over note")
	// The note comes after the reply it follows, as the user sees them.
	if order := p.eval(`(() => { const all = [...document.querySelectorAll('#messages > *')];
		const note = all.findIndex((e) => e.matches('.note.transfer'));
		const text = all.findIndex((e) => e.textContent.includes('正在为您转接人工客服'));
		return note > text ? 'ok' : 'note ' + note + ', text ' + text; })()`); order != "ok" {
		t.Errorf("hand-over note out of order: %s", order)
	}
	p.wait(`document.querySelector('#panel .badge.rule b')?.textContent === 'human'`, "the panel to show the transfer")
	p.check()

	if *update {
		screenshot(t, browser, th.URL+"/")
	}
}

// screenshot writes the README's picture: a new user (a new tab) who entered through the
// article's button and sent 订单, 训练营 and 下载, so that it shows text, a mini-program card,
// a link card and an image beside the panel of the latest exchange.
func screenshot(t *testing.T, browser context.Context, url string) {
	p := openChat(t, browser, url)
	p.enter("文章详情的客服按钮")
	p.waitKefuText("欢迎！")
	p.say("订单 20240101123456")
	p.wait(`(() => { const i = document.querySelector('#messages .mpcard-thumb'); return !!i && i.complete && i.naturalWidth > 0; })()`, "the card")
	p.say("训练营")
	p.wait(`!!document.querySelector('#messages .linkcard .linkcard-thumb')`, "the link card")
	p.say("下载")
	p.waitImage()
	p.wait(`document.querySelector('#panel .badge.rule b')?.textContent === 'download'`, "the panel")
	p.wait(`document.getElementById('chat-title').textContent === '客服'`, "the typing state to clear")
	// Let the chat finish scrolling to the latest message.
	p.wait(`(() => { const m = document.getElementById('messages'); return m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()`, "the chat to scroll")
	p.eval(`(() => { document.activeElement.blur(); return ''; })()`) // no caret in the picture
	time.Sleep(300 * time.Millisecond)
	p.check()
	shot, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(screenshotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", screenshotPath, len(shot))
}
