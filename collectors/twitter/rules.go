package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/httpstream"
)

// RuleChange is what SyncRules did.
type RuleChange struct {
	Added, Deleted, Kept int
}

type ruleWithID struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// SyncRules makes the app's filtered-stream rules equal to want: missing rules are added,
// rules whose tag changed are replaced, and with prune the rules not in want are deleted.
// Running it again changes nothing. A rule the server rejects is a permanent error naming it.
func SyncRules(ctx context.Context, client *http.Client, baseURL, token string, want []Rule, prune bool, now func() time.Time) (RuleChange, error) {
	endpoint := strings.TrimRight(baseURL, "/") + "/2/tweets/search/stream/rules"
	var have struct {
		Data   []ruleWithID `json:"data"`
		Errors []v2Error    `json:"errors"`
	}
	if err := rulesCall(ctx, client, http.MethodGet, endpoint, token, nil, &have, now); err != nil {
		return RuleChange{}, err
	}
	wantTag := map[string]string{}
	for _, r := range want {
		wantTag[r.Value] = r.Tag
	}
	var ch RuleChange
	var del []string
	present := map[string]bool{}
	for _, r := range have.Data {
		tag, wanted := wantTag[r.Value]
		switch {
		case wanted && tag == r.Tag && !present[r.Value]:
			present[r.Value] = true
			ch.Kept++
		case wanted || prune:
			del = append(del, r.ID)
		}
	}
	if len(del) > 0 {
		body := map[string]any{"delete": map[string]any{"ids": del}}
		var resp rulesResponse
		if err := rulesCall(ctx, client, http.MethodPost, endpoint, token, body, &resp, now); err != nil {
			return ch, err
		}
		if len(resp.Errors) > 0 {
			return ch, fmt.Errorf("delete rules %v: %s", del, errorsText(resp.Errors))
		}
		ch.Deleted = len(del)
	}
	var add []Rule
	for _, r := range want {
		if !present[r.Value] {
			add = append(add, r)
		}
	}
	if len(add) == 0 {
		return ch, nil
	}
	var resp rulesResponse
	if err := rulesCall(ctx, client, http.MethodPost, endpoint, token, map[string]any{"add": add}, &resp, now); err != nil {
		return ch, err
	}
	for _, e := range resp.Errors {
		if e.Title == "DuplicateRule" || strings.Contains(e.Title, "Duplicate") {
			continue // already in place: the goal is reached
		}
		return ch, collectors.Permanent(fmt.Errorf("rule %q rejected: %s", e.Value, e.String()))
	}
	ch.Added = len(resp.Data)
	return ch, nil
}

type rulesResponse struct {
	Data   []ruleWithID `json:"data"`
	Errors []v2Error    `json:"errors"`
}

func rulesCall(ctx context.Context, client *http.Client, method, endpoint, token string, body any, out any, now func() time.Time) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, endpoint, err)
	}
	defer resp.Body.Close()
	// 201 Created answers an add; 200 a list or a delete.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s %s: %w", method, endpoint, httpstream.StatusError(resp, now))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, endpoint, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %v", method, endpoint, err)
	}
	return nil
}
