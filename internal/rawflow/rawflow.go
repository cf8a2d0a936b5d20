// Package rawflow is the benchmarks' auth flow written by hand with
// net/http and encoding/json, shared by the in-process benchmark and the
// raw client process.
package rawflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Run sends the auth flow the benchmarks run through flowrun: log in,
// call, call without a token (401), refresh, call with the new token, log
// out, call with the old token (401), checking what the spec checks: each
// status, the JSON body decoded, a field compared. It is the floor the
// engine is measured against.
func Run(ctx context.Context, c *http.Client, base string) error {
	var pair struct {
		Token   string `json:"token"`
		Refresh string `json:"refresh_token"`
	}
	body, _ := json.Marshal(map[string]string{"user": "mary", "password": "secret-password"})
	if err := call(ctx, c, "POST", base+"/login", "", body, 200, &pair); err != nil {
		return err
	}
	var me struct{ Name string }
	if err := call(ctx, c, "GET", base+"/me", pair.Token, nil, 200, &me); err != nil {
		return err
	}
	if me.Name != "Mary" {
		return fmt.Errorf("me: got name %q, want \"Mary\"", me.Name)
	}
	if err := call(ctx, c, "GET", base+"/me", "", nil, 401, nil); err != nil {
		return err
	}
	old := pair.Token
	body, _ = json.Marshal(map[string]string{"refresh_token": pair.Refresh})
	if err := call(ctx, c, "POST", base+"/refresh", "", body, 200, &pair); err != nil {
		return err
	}
	if pair.Token == old {
		return errors.New("refresh: the token did not change")
	}
	me.Name = ""
	if err := call(ctx, c, "GET", base+"/me", pair.Token, nil, 200, &me); err != nil {
		return err
	}
	if me.Name != "Mary" {
		return fmt.Errorf("me after refresh: got name %q, want \"Mary\"", me.Name)
	}
	if err := call(ctx, c, "POST", base+"/logout", pair.Token, nil, 200, nil); err != nil {
		return err
	}
	return call(ctx, c, "GET", base+"/me", pair.Token, nil, 401, nil)
}

// call sends one request and checks its status; out, if not nil,
// receives the JSON body.
func call(ctx context.Context, c *http.Client, method, url, token string, body []byte, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: got status %d, want %d", method, url, resp.StatusCode, want)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
