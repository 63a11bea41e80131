package push

import (
	"crypto/sha1"
	"encoding/hex"
)

// Signature returns WeChat's signature over parts: the lowercase hex SHA-1 of the parts sorted
// byte-wise and concatenated without a separator. The URL signature is over the Token, timestamp
// and nonce; msg_signature adds the Encrypt field.
func Signature(parts ...string) string {
	var sum [40]byte
	switch len(parts) {
	case 3:
		sign(&sum, parts[0], parts[1], parts[2], "", 3)
	case 4:
		sign(&sum, parts[0], parts[1], parts[2], parts[3], 4)
	default:
		sorted := append([]string(nil), parts...)
		insertionSort(sorted)
		h := sha1.New()
		for _, p := range sorted {
			h.Write([]byte(p))
		}
		hex.Encode(sum[:], h.Sum(nil))
	}
	return string(sum[:])
}

// sign writes the hex signature over the first n (3 or 4) of a, b, c, d into sum without
// allocating for inputs of ordinary size.
func sign(sum *[40]byte, a, b, c, d string, n int) {
	parts := [4]string{a, b, c, d}
	insertionSort(parts[:n])
	var stack [1024]byte
	buf := stack[:0]
	for _, p := range parts[:n] {
		buf = append(buf, p...)
	}
	digest := sha1.Sum(buf)
	hex.Encode(sum[:], digest[:])
}

func insertionSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// equalSignature compares a computed signature with the one received in constant time (the
// time depends only on the lengths, which are public).
func equalSignature(sum *[40]byte, got string) bool {
	if len(got) != len(sum) {
		return false
	}
	var v byte
	for i := range sum {
		v |= sum[i] ^ got[i]
	}
	return v == 0
}
