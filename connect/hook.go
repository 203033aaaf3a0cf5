package connect

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"relman/commands"
	"relman/store"
)

// MaxBody is the largest webhook body taken (1 MiB); a larger one is
// answered 413 before anything is read past it.
const MaxBody = 1 << 20

// Runner runs a command a connector built, as every transport's commands
// are run (bot's Dispatcher: measured, logged, and the outbox woken for
// the messages it queued). *commands.Service is a Runner too.
type Runner interface {
	Run(ctx context.Context, req commands.Request, cmd commands.Command) commands.Reply
}

var _ Runner = (*commands.Service)(nil)

// answer is the JSON body of every webhook answer.
type answer struct {
	Status  string `json:"status,omitempty"` // "done", "accepted", "pong"
	Changed string `json:"changed,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Error   string `json:"error,omitempty"`
}

func reply(w http.ResponseWriter, code int, a answer) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(a)
	return code
}

func failure(w http.ResponseWriter, code int, msg string) int {
	return reply(w, code, answer{Error: msg})
}

// readBody reads a webhook's body: 413 over MaxBody, 415 unless its
// Content-Type is JSON. On failure it has answered and returns the status.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	if r.ContentLength > MaxBody {
		return nil, failure(w, http.StatusRequestEntityTooLarge, "the body is over 1 MiB")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, failure(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, failure(w, http.StatusBadRequest, "the body could not be read")
	}
	if len(body) > MaxBody {
		return nil, failure(w, http.StatusRequestEntityTooLarge, "the body is over 1 MiB")
	}
	return body, 0
}

// answerReply turns a command's reply into the webhook's answer: 200 with
// what changed; 202 when there was nothing to change (a repeat); 404 for
// an unknown release; 400 for a request relman refuses; 503 when the
// database is away; 500 otherwise.
func answerReply(w http.ResponseWriter, rep commands.Reply) int {
	switch {
	case commands.IsDelivered(rep):
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: "this delivery was applied already"})
	case rep.OK() && rep.Unchanged:
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: plain(rep.Doc)})
	case rep.OK():
		return reply(w, http.StatusOK, answer{Status: "done", Changed: plain(rep.Doc)})
	}
	msg := ""
	if rep.Err != nil {
		msg = rep.Err.Message
	}
	switch rep.Code {
	case store.ENotFound:
		return failure(w, http.StatusNotFound, msg)
	case store.EInvalid, store.EConflict, store.EForbidden:
		return failure(w, http.StatusBadRequest, msg)
	case store.EUnavailable, store.EFull:
		return failure(w, http.StatusServiceUnavailable, msg)
	}
	return failure(w, http.StatusInternalServerError, msg)
}

// plain is a reply's first section as plain text, for a JSON answer.
func plain(d store.Doc) string {
	t := d.Text
	if len(d.Sections) > 0 {
		t = d.Sections[0].Text
	}
	t = commands.Plain(t)
	for _, p := range []string{":white_check_mark: ", ":rocket: "} {
		t = strings.TrimPrefix(t, p)
	}
	return strings.ReplaceAll(t, "*", "")
}
