package push

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// KeyLength is the length of an EncodingAESKey: 43 base64 characters, 32 bytes of AES key.
const KeyLength = 43

// blockSize is the PKCS#7 block size of WeChat's scheme: 32, not AES's 16.
const blockSize = 32

// key is one EncodingAESKey, ready to use. Its cipher.Block is safe for concurrent use.
type key struct {
	block cipher.Block
	iv    [aes.BlockSize]byte
}

// ParseKey checks an EncodingAESKey (43 characters of the base64 alphabet) and returns nil
// when it is valid; the error says what is wrong without repeating the key.
func ParseKey(encodingAESKey string) error {
	_, err := parseKey(encodingAESKey)
	return err
}

func parseKey(s string) (*key, error) {
	if len(s) != KeyLength {
		return nil, fmt.Errorf("EncodingAESKey must be %d characters, not %d", KeyLength, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, fmt.Errorf("EncodingAESKey holds a character outside the base64 alphabet at position %d", i+1)
		}
	}
	// WeChat decodes the key + "=" leniently: the unused low bits of the last character are
	// ignored, as Go's non-strict decoder does.
	raw, err := base64.StdEncoding.DecodeString(s + "=")
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("EncodingAESKey is not valid base64")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey: %w", err)
	}
	k := &key{block: block}
	copy(k.iv[:], raw[:aes.BlockSize])
	return k, nil
}

// decrypt opens an Encrypt field: base64, AES-256-CBC with IV = key[:16], PKCS#7 over 32-byte
// blocks, then random(16) || length(4, big-endian) || msg || appid. The returned slices alias
// a buffer that decrypt allocated and nobody else holds.
func (k *key) decrypt(encrypted string) (msg, appID []byte, err error) {
	n := base64.StdEncoding.DecodedLen(len(encrypted))
	buf := make([]byte, n)
	n, err = base64.StdEncoding.Decode(buf, []byte(encrypted))
	if err != nil {
		return nil, nil, refuse(ErrMalformed, "Encrypt is not valid base64")
	}
	buf = buf[:n]
	if n == 0 || n%aes.BlockSize != 0 {
		return nil, nil, refuse(ErrMalformed, "Encrypt is not a whole number of AES blocks")
	}
	cipher.NewCBCDecrypter(k.block, k.iv[:]).CryptBlocks(buf, buf)
	pad := int(buf[n-1])
	if pad < 1 || pad > blockSize || pad > n {
		return nil, nil, refuse(ErrMalformed, "Encrypt has bad padding")
	}
	for _, b := range buf[n-pad : n-1] {
		if int(b) != pad {
			return nil, nil, refuse(ErrMalformed, "Encrypt has bad padding")
		}
	}
	plain := buf[:n-pad]
	if len(plain) < 20 {
		return nil, nil, refuse(ErrMalformed, "Encrypt is too short")
	}
	size := binary.BigEndian.Uint32(plain[16:20])
	if uint64(size) > uint64(len(plain)-20) {
		return nil, nil, refuse(ErrMalformed, "Encrypt has a bad length field")
	}
	end := 20 + int(size)
	return plain[20:end:end], plain[end:], nil
}

// encrypt builds an Encrypt field for msg and appID with the given 16 random bytes (fresh
// ones from crypto/rand when random is nil).
func (k *key) encrypt(random []byte, msg []byte, appID string) (string, error) {
	size := 20 + len(msg) + len(appID)
	pad := blockSize - size%blockSize
	buf := make([]byte, size+pad)
	if random == nil {
		if _, err := rand.Read(buf[:16]); err != nil {
			return "", fmt.Errorf("push: random prefix: %w", err)
		}
	} else if len(random) != 16 {
		return "", fmt.Errorf("push: the random prefix must be 16 bytes, not %d", len(random))
	} else {
		copy(buf, random)
	}
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(msg)))
	copy(buf[20:], msg)
	copy(buf[20+len(msg):], appID)
	for i := size; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(k.block, k.iv[:]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}
