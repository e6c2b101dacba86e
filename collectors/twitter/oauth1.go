package twitter

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// oauth1 signs requests with OAuth 1.0a HMAC-SHA1 (RFC 5849), the only way into the v1.1
// streaming endpoints. It is small enough to keep here rather than add a dependency.
type oauth1 struct {
	consumerKey, consumerSecret, token, tokenSecret string
}

// header returns the Authorization header for method on rawURL with the form parameters of
// the body (the query is read from rawURL).
func (o oauth1) header(method, rawURL string, form url.Values, now time.Time, nonce string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	params := map[string]string{
		"oauth_consumer_key":     o.consumerKey,
		"oauth_nonce":            nonce,
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        strconv.FormatInt(now.Unix(), 10),
		"oauth_token":            o.token,
		"oauth_version":          "1.0",
	}
	var pairs []string
	add := func(k, v string) { pairs = append(pairs, percentEncode(k)+"="+percentEncode(v)) }
	for k, v := range params {
		add(k, v)
	}
	for k, vs := range u.Query() {
		for _, v := range vs {
			add(k, v)
		}
	}
	for k, vs := range form {
		for _, v := range vs {
			add(k, v)
		}
	}
	sort.Strings(pairs)
	base := strings.ToUpper(method) + "&" + percentEncode(u.Scheme+"://"+u.Host+u.EscapedPath()) + "&" + percentEncode(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(percentEncode(o.consumerSecret)+"&"+percentEncode(o.tokenSecret)))
	mac.Write([]byte(base))
	params["oauth_signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))

	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(percentEncode(k) + `="` + percentEncode(params[k]) + `"`)
	}
	return b.String(), nil
}

// percentEncode is RFC 3986 encoding: everything but ALPHA, DIGIT, '-', '.', '_', '~'.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
