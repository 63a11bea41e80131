package push

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
)

// Success is the answer to every push that needs no passive reply. It is never encrypted:
// WeChat shows the user an error for an encrypted "success".
const Success = "success"

// ContentType is the media type of the plain-text answers ("success" and echostr).
const ContentType = "text/plain; charset=utf-8"

// MsgTypeTransfer is the MsgType of the reply that hands the session to the human agents.
const MsgTypeTransfer = "transfer_customer_service"

// Answer is a passive reply to a push: the body and its media type.
type Answer struct {
	Body        []byte
	ContentType string
}

// TransferReply returns the transfer_customer_service answer to p, in the push's own format,
// with To and From swapped (the reply goes to the user, from the mini program). When the push
// carried Encrypt the answer is encrypted with the key that opened it and signed: Encrypt,
// MsgSignature, TimeStamp and Nonce (the push's nonce).
func (o *Opener) TransferReply(p *Push) (Answer, error) {
	now := o.now().Unix()
	plain := encodeFields([]field{
		{"ToUserName", p.FromUserName, false},
		{"FromUserName", p.ToUserName, false},
		{"CreateTime", strconv.FormatInt(now, 10), true},
		{"MsgType", MsgTypeTransfer, false},
	}, p.Format)
	if !p.Encrypted {
		return Answer{Body: plain, ContentType: formatContentType(p.Format)}, nil
	}
	if p.KeyIndex < 0 || p.KeyIndex >= len(o.keys) {
		return Answer{}, fmt.Errorf("push: no key %d to encrypt the answer with", p.KeyIndex)
	}
	nonce := p.nonce
	if nonce == "" {
		n, err := rand.Int(rand.Reader, big.NewInt(1e10))
		if err != nil {
			return Answer{}, fmt.Errorf("push: nonce: %w", err)
		}
		nonce = n.String()
	}
	body, err := sealAnswer(o.keys[p.KeyIndex], nil, o.token, o.appID, plain, p.Format, now, nonce)
	if err != nil {
		return Answer{}, err
	}
	return Answer{Body: body, ContentType: formatContentType(p.Format)}, nil
}

func formatContentType(f Format) string {
	if f == JSON {
		return "application/json; charset=utf-8"
	}
	return "application/xml; charset=utf-8"
}

// sealAnswer encrypts and signs an answer: {"Encrypt","MsgSignature","TimeStamp","Nonce"} in
// JSON, or the same four elements in XML.
func sealAnswer(k *key, random []byte, token, appID string, plain []byte, f Format, ts int64, nonce string) ([]byte, error) {
	enc, err := k.encrypt(random, plain, appID)
	if err != nil {
		return nil, err
	}
	tss := strconv.FormatInt(ts, 10)
	return encodeFields([]field{
		{"Encrypt", enc, false},
		{"MsgSignature", Signature(token, tss, nonce, enc), false},
		{"TimeStamp", tss, true},
		{"Nonce", nonce, false},
	}, f), nil
}
