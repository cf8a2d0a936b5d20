package sandbox

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// byMethod maps HTTP methods to the handlers of one path.
type byMethod map[string]http.HandlerFunc

// router is a simulator's JSON routing: one handler per method on a path,
// a 405 with an Allow header for any other method, and a 404 for any other
// path. Both errors go through the provider's fail, in its own error shape.
type router struct {
	mux        *http.ServeMux
	fail       func(w http.ResponseWriter, status int, msg string)
	notAllowed string
}

// newRouter returns a router whose errors are written by fail with the
// messages notFound and notAllowed.
func newRouter(fail func(w http.ResponseWriter, status int, msg string), notFound, notAllowed string) *router {
	rt := &router{mux: http.NewServeMux(), fail: fail, notAllowed: notAllowed}
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fail(w, http.StatusNotFound, notFound)
	})
	return rt
}

// handle registers the handlers of path, a http.ServeMux pattern without a
// method. A method not in handlers is answered 405 before any handler runs.
func (rt *router) handle(path string, handlers byMethod) {
	allow := strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")
	rt.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		h, ok := handlers[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			rt.fail(w, http.StatusMethodNotAllowed, rt.notAllowed)
			return
		}
		h(w, r)
	})
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }
