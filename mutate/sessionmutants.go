package mutate

// ignoresLogout is ignores-logout: it answers a logout step's own
// request as the baseline's was answered, and never forwards it.
type ignoresLogout struct {
	logouts *recording
	seen    bool
	altered int
}

func (m *ignoresLogout) request(x *exchange, _ *seen) {
	if !x.is("logout") {
		return
	}
	m.seen = true
	if a, ok := m.logouts.find(x.server, x.method, x.path); ok {
		x.answer(a.status, a.header, a.body)
		m.altered++
	}
}

func (m *ignoresLogout) response(*exchange, *seen) {}

func (m *ignoresLogout) report() (int, string) {
	switch {
	case m.altered > 0:
		return m.altered, ""
	case m.seen:
		return 0, "the baseline recorded no logout answer"
	}
	return 0, reasonNoLogout
}

// noRotation is no-rotation: it hands a refresh's answer back with the
// refresh token the request sent in place of the new one. translate maps
// each token handed back to the one the API issued in its place, which
// the requests that send it again carry instead.
type noRotation struct {
	translate map[string]string
	refreshes bool
	altered   int
}

func (m *noRotation) request(x *exchange, _ *seen) {
	if x.step.Kind == "refresh" {
		m.refreshes = true
	}
	if len(m.translate) > 0 {
		x.rewrite(func(v string) (string, bool) { n, ok := m.translate[v]; return n, ok })
	}
}

func (m *noRotation) response(x *exchange, s *seen) {
	if x.step.Kind != "refresh" || !x.ok() || !x.respWhole {
		return
	}
	doc, ok := decodeJSON(x.respBody)
	if !ok {
		return
	}
	old, path, ok := s.presentedIssued(x, false, func(v string, p jsonPath) bool {
		n, ok := at(doc, p)
		return ok && n != v
	})
	if !ok {
		return
	}
	issued, _ := at(doc, path)
	setAt(doc, path, old)
	x.respBody = encodeJSON(doc)
	m.translate[old] = issued
	m.altered++
}

func (m *noRotation) report() (int, string) {
	switch {
	case m.altered > 0:
		return m.altered, ""
	case m.refreshes:
		return 0, "no refresh answer held a new value in place of one its request sent"
	}
	return 0, reasonNoRefresh
}

// reuseAccepted is reuse-accepted: a refresh request that sends a
// refresh token already used goes with the newest one in its place.
// next maps each token a successful refresh used to the one issued in
// its place.
type reuseAccepted struct {
	next      map[string]string
	refreshes bool
	altered   int
}

// current follows next from a used token to the newest one issued.
func (m *reuseAccepted) current(v string) string {
	for range len(m.next) {
		n, ok := m.next[v]
		if !ok {
			break
		}
		v = n
	}
	return v
}

func (m *reuseAccepted) request(x *exchange, s *seen) {
	if x.step.Kind == "refresh" {
		m.refreshes = true
	}
	if len(m.next) == 0 || !s.isRefresh(x) {
		return
	}
	if x.rewrite(func(v string) (string, bool) {
		if _, used := m.next[v]; !used {
			return "", false
		}
		return m.current(v), true
	}) {
		m.altered++
	}
}

func (m *reuseAccepted) response(x *exchange, s *seen) {
	if !s.isRefresh(x) || !x.ok() || !x.respWhole {
		return
	}
	doc, ok := decodeJSON(x.respBody)
	if !ok {
		return
	}
	used, path, ok := s.presentedIssued(x, true, func(v string, p jsonPath) bool {
		n, ok := at(doc, p)
		return ok && n != v
	})
	if ok {
		m.next[used], _ = at(doc, path)
	}
}

func (m *reuseAccepted) report() (int, string) {
	switch {
	case m.altered > 0:
		return m.altered, ""
	case m.refreshes:
		return 0, "no refresh request sent a refresh token already used"
	}
	return 0, reasonNoRefresh
}
