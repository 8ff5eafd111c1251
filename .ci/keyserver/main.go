// Command keyserver is a tiny API-key service for the browser end-to-end
// test: GET /me answers 200 with an account for a valid key (Bearer) and
// 401 otherwise; POST /control/keys replaces the valid keys, so a test can
// "rotate" the key at the provider. It prints its base URL on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
)

func main() {
	var mu sync.Mutex
	valid := map[string]bool{}
	for _, k := range strings.Split(os.Getenv("KEYSERVER_KEYS"), ",") {
		if k != "" {
			valid[k] = true
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		ok := valid[key]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_api_key"}`)
			return
		}
		fmt.Fprint(w, `{"email":"analyst@example.com"}`)
	})
	mux.HandleFunc("/control/keys", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Valid []string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		valid = map[string]bool{}
		for _, k := range body.Valid {
			valid[k] = true
		}
		mu.Unlock()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	http.Serve(ln, mux)
}
