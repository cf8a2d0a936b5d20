package mutate

import (
	"bytes"
	"net/http"
)

// statusSwapped is refusal-status-swapped: 401 answers become 403, and
// 403 become 401.
type statusSwapped struct{ altered int }

func (m *statusSwapped) request(*exchange, *seen) {}

func (m *statusSwapped) response(x *exchange, _ *seen) {
	switch x.status {
	case http.StatusUnauthorized:
		x.status = http.StatusForbidden
	case http.StatusForbidden:
		x.status = http.StatusUnauthorized
	default:
		return
	}
	m.altered++
}

func (m *statusSwapped) report() (int, string) {
	if m.altered > 0 {
		return m.altered, ""
	}
	return 0, "no answer was 401 or 403"
}

// messageChanged is error-message-changed: every 4xx answer's body says
// something else.
type messageChanged struct{ altered int }

// changedText is what an error message becomes.
const changedText = "flowrun mutate changed this text"

func changeText(s string) (string, bool) {
	if s == changedText {
		return changedText + " again", true
	}
	return changedText, true
}

func (m *messageChanged) request(*exchange, *seen) {}

func (m *messageChanged) response(x *exchange, _ *seen) {
	if x.status < 400 || x.status > 499 || !x.respWhole || len(bytes.TrimSpace(x.respBody)) == 0 {
		return
	}
	if doc, ok := decodeJSON(x.respBody); ok {
		if doc, changed := rewriteStrings(doc, changeText); changed {
			x.respBody = encodeJSON(doc)
			m.altered++
		}
		return
	}
	s, _ := changeText(string(bytes.TrimSpace(x.respBody)))
	x.respBody = []byte(s)
	m.altered++
}

func (m *messageChanged) report() (int, string) {
	if m.altered > 0 {
		return m.altered, ""
	}
	return 0, "no 4xx answer had a body with text to change"
}
