package limited

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRead(t *testing.T) {
	const limit = 64 << 10
	ok := `{"errcode":0,"errmsg":"ok"}`
	big := strings.Repeat("x", limit+100)
	for _, c := range []struct {
		name string
		r    io.Reader
		hint int64
		want string
	}{
		{"usual", strings.NewReader(ok), 128, ok},
		{"exact hint", strings.NewReader(ok), int64(len(ok)), ok},
		{"no hint", strings.NewReader(ok), -1, ok},
		{"empty", strings.NewReader(""), 0, ""},
		{"a byte at a time", iotest.OneByteReader(strings.NewReader(ok)), 4, ok},
		{"data with EOF", iotest.DataErrReader(strings.NewReader(ok)), 128, ok},
		{"past the first buffer", strings.NewReader(big[:1000]), 128, big[:1000]},
		{"a hint too small", strings.NewReader(big[:1000]), 10, big[:1000]},
		{"exactly the limit", strings.NewReader(big[:limit]), limit, big[:limit]},
		{"over the limit: one byte more, then stops", strings.NewReader(big), 128, big[:limit+1]},
		{"over the limit, hinted at the limit", strings.NewReader(big), limit, big[:limit+1]},
	} {
		got, err := Read(c.r, limit, c.hint)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %d bytes, %v; want %d bytes", c.name, len(got), err, len(c.want))
		}
	}
	if got, err := Read(strings.NewReader("abc"), 0, 0); err != nil || string(got) != "a" {
		t.Errorf("limit 0: %q, %v; want one byte to show it is over", got, err)
	}
	boom := errors.New("connection reset")
	got, err := Read(io.MultiReader(strings.NewReader("{\"err"), iotest.ErrReader(boom)), limit, 0)
	if !errors.Is(err, boom) || !bytes.Equal(got, []byte("{\"err")) {
		t.Errorf("a failing body: %q, %v", got, err)
	}
}

func TestReadAllocatesOnceWithAHint(t *testing.T) {
	body := strings.Repeat("y", 700)
	allocs := testing.AllocsPerRun(100, func() {
		if b, err := Read(strings.NewReader(body), 1<<20, int64(len(body))); err != nil || len(b) != len(body) {
			t.Fatal(len(b), err)
		}
	})
	if allocs > 2 { // the buffer, and the strings.Reader of the test
		t.Errorf("%v allocations per read", allocs)
	}
}
