package rules

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// TestFoldRune checks foldRune, shortcuts included, against the orbits of unicode.SimpleFold
// for every rune.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			want = min(want, f)
		}
		if got := foldRune(r); got != want {
			t.Fatalf("foldRune(%U) = %U, want %U", r, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Hello训练营", "hello训练营"},
		{"ΟΔΟΣ", "οδος"},
		{"ΟΔΟΣ", "οδοσ"},
		{"\u212Aelvin", "kelvin"}, // Kelvin sign
		{"ſ", "S"},                // long s
		{"ÅNGSTRÖM", "ångström"},
		{"Ｆｕｌｌ", "ｆｕｌｌ"}, // fullwidth Latin has case
	}
	for _, tc := range tests {
		if fold(tc.a) != fold(tc.b) {
			t.Errorf("fold(%q) = %q, fold(%q) = %q: want equal", tc.a, fold(tc.a), tc.b, fold(tc.b))
		}
	}
	if fold("训练营") != "训练营" {
		t.Errorf("fold changed Chinese")
	}
	if got := fold("a\xffb"); got != "A\xffB" {
		t.Errorf("fold kept invalid bytes as %q", got)
	}
}

// TestFoldEqualFold: fold(a) == fold(b) exactly when strings.EqualFold(a, b).
func TestFoldEqualFold(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	runes := []rune("aAkKK\u212AsSſσςΣ训练营ǅǄǆİıiI")
	word := func() string {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteRune(runes[r.IntN(len(runes))])
		}
		return b.String()
	}
	for range 20000 {
		a, b := word(), word()
		if got, want := fold(a) == fold(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("%q vs %q: fold equal = %v, EqualFold = %v", a, b, got, want)
		}
	}
}
