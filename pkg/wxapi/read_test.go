package wxapi

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAnswer(t *testing.T) {
	ok := `{"errcode":0,"errmsg":"ok"}`
	big := strings.Repeat("x", maxAnswer+100)
	for _, c := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"usual", strings.NewReader(ok), ok},
		{"empty", strings.NewReader(""), ""},
		{"a byte at a time", iotest.OneByteReader(strings.NewReader(ok)), ok},
		{"data with EOF", iotest.DataErrReader(strings.NewReader(ok)), ok},
		{"past the first buffer", strings.NewReader(big[:1000]), big[:1000]},
		{"exactly the limit", strings.NewReader(big[:maxAnswer]), big[:maxAnswer]},
		{"over the limit: one byte more, then stops", strings.NewReader(big), big[:maxAnswer+1]},
	} {
		got, err := readAnswer(c.r)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %d bytes, %v; want %d bytes", c.name, len(got), err, len(c.want))
		}
	}
	boom := errors.New("connection reset")
	got, err := readAnswer(io.MultiReader(strings.NewReader("{\"err"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || !bytes.Equal(got, []byte("{\"err")) {
		t.Errorf("a failing body: %q, %v", got, err)
	}
}
