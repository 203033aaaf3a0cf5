package slackfake

import (
	"net/http"
	"time"
)

// Limits Slack puts on a response_url.
const (
	ResponseURLUses     = 5
	ResponseURLLifetime = 30 * time.Minute
)

type responseURL struct {
	created     time.Time
	uses        int
	channel, ts string // message the URL belongs to; both may be ""
}

// ResponseURL returns a fresh response_url on the fake, as found in slash
// command and interaction payloads. It accepts JSON posts (what
// slack.PostWebhookContext and slack.MsgOptionResponseURL send), answers 200
// "ok", and records each post as a Call with Method "response_url". Like
// Slack it works ResponseURLUses times within ResponseURLLifetime of the
// fake clock; after that it answers 404 "used_url" / "expired_url" (slack-go
// reports slack.StatusCodeError). Faults queued for "response_url" apply.
func (s *Server) ResponseURL() string { return s.ResponseURLFor("", "") }

// ResponseURLFor is ResponseURL for a button click on the message ts in
// channel: replace_original:true edits that message (see Messages),
// delete_original:true deletes it, and response_type:"in_channel" without
// replace_original posts a new message to channel (in the thread given by
// thread_ts). Other posts become ephemeral messages in channel.
func (s *Server) ResponseURLFor(channel, ts string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextIDLocked("")
	s.responses[id] = &responseURL{created: s.Now(), channel: channel, ts: ts}
	return s.srv.URL + "/response/" + id
}

// truthy accepts both JSON true and "true", as Slack does for these flags.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	c, err := s.readCall(r, "response_url")
	if err != nil || r.Method != http.MethodPost {
		s.finish(w, c, textAnswer(http.StatusBadRequest, "text/plain", "invalid_payload"))
		return
	}
	if a, done := s.applyFault(r.Context(), "response_url"); done {
		s.finish(w, c, a)
		return
	}
	s.mu.Lock()
	status, body := s.respondLocked(r.PathValue("id"), c)
	s.mu.Unlock()
	s.finish(w, c, textAnswer(status, "text/plain; charset=utf-8", body))
}

// respondLocked applies one response_url post and returns status and body.
func (s *Server) respondLocked(id string, c Call) (int, string) {
	ru := s.responses[id]
	switch {
	case ru == nil:
		return http.StatusNotFound, "no_service"
	case s.Now().Sub(ru.created) > ResponseURLLifetime:
		return http.StatusNotFound, "expired_url"
	case ru.uses >= ResponseURLUses:
		return http.StatusNotFound, "used_url"
	}
	if c.JSON == nil {
		return http.StatusBadRequest, "invalid_payload"
	}
	ru.uses++
	if truthy(c.JSON["delete_original"]) {
		if ru.channel != "" {
			s.deleteLocked(ru.channel, ru.ts)
		}
		return http.StatusOK, "ok"
	}
	text, blocks, attachments, code := messageBody(c)
	if code != "" {
		return http.StatusBadRequest, code
	}
	if ru.channel == "" {
		return http.StatusOK, "ok"
	}
	replace := truthy(c.JSON["replace_original"])
	if replace {
		if m := s.findLocked(ru.channel, ru.ts); m != nil {
			s.applyEditLocked(m, c.has("text"), text, blocks, attachments)
		}
		return http.StatusOK, "ok"
	}
	m := Message{Channel: ru.channel, TS: s.nextTSLocked(), ThreadTS: c.Param("thread_ts"),
		Text: text, Blocks: blocks, Attachments: attachments, User: BotUserID}
	if c.Param("response_type") == "in_channel" {
		s.messages[ru.channel] = append(s.messages[ru.channel], &m)
	} else {
		s.ephemerals[ru.channel] = append(s.ephemerals[ru.channel], m)
	}
	return http.StatusOK, "ok"
}
