package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Trigger error codes views.open and views.push answer, from the method
// reference pages (the interactivity guide calls them trigger_expired and
// trigger_exchanged).
const (
	ErrExpiredTrigger   = "expired_trigger_id"
	ErrExchangedTrigger = "exchanged_trigger_id"
	ErrInvalidTrigger   = "invalid_trigger_id"
)

// TriggerLifetime is how long a trigger ID from NewTrigger works.
const TriggerLifetime = 3 * time.Second

type trigger struct {
	issued time.Time
	used   bool
}

// View is the current state of a view opened, pushed or published through
// the fake.
type View struct {
	// ID is the view ID (V…).
	ID string
	// Type is "modal" or "home".
	Type string
	// UserID is the Home tab owner for views.publish, else "".
	UserID string
	// TriggerID is the trigger the view was opened or pushed with.
	TriggerID       string
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	// Hash changes on every update; pass it back to detect hash_conflict.
	Hash string
	// Blocks is the view's blocks JSON.
	Blocks json.RawMessage
	// JSON is the full view object as the fake last answered it.
	JSON json.RawMessage
	// Updates counts views.update / views.publish calls after creation.
	Updates int
}

// NewTrigger returns a fresh trigger ID (like the trigger_id of a slash
// command or interaction payload). views.open and views.push accept it once,
// within TriggerLifetime of the fake clock (Server.Now) from this call.
func (s *Server) NewTrigger() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%d.%d.%s", 13345224609+s.seq, s.Now().Unix(), hex.EncodeToString(b[:]))
	s.triggers[id] = &trigger{issued: s.Now()}
	return id
}

// View returns the view with the given ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.views[id]; v != nil {
		return *v, true
	}
	return View{}, false
}

// HomeView returns the Home tab last published for user.
func (s *Server) HomeView(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.views[s.homes[user]]; v != nil {
		return *v, true
	}
	return View{}, false
}

// useTriggerLocked exchanges a trigger ID; it returns an error code or "".
func (s *Server) useTriggerLocked(id string) string {
	t := s.triggers[id]
	switch {
	case id == "" || t == nil:
		return ErrInvalidTrigger
	case t.used:
		return ErrExchangedTrigger
	case s.Now().Sub(t.issued) > TriggerLifetime:
		return ErrExpiredTrigger
	}
	t.used = true
	return ""
}

// parseView decodes and validates the view argument.
func parseView(c Call, wantType string) (map[string]any, string) {
	raw := c.raw("view")
	if raw == nil {
		return nil, "invalid_arguments"
	}
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return nil, "invalid_arguments"
	}
	typ, _ := v["type"].(string)
	if typ != wantType && !(wantType == "" && (typ == "modal" || typ == "home")) {
		return nil, "invalid_arguments"
	}
	if typ == "modal" {
		for _, k := range []string{"title", "submit", "close"} {
			t, _ := v[k].(map[string]any)
			if text, _ := t["text"].(string); utf8.RuneCountInString(text) > 24 {
				return nil, "invalid_arguments"
			}
		}
		if t, _ := v["title"].(map[string]any); t == nil {
			return nil, "invalid_arguments"
		}
	}
	blocks, _ := json.Marshal(v["blocks"])
	if v["blocks"] == nil || checkBlocks(blocks, 100) != "" {
		return nil, "invalid_arguments"
	}
	if pm, _ := v["private_metadata"].(string); len(pm) > 3000 {
		return nil, "invalid_arguments"
	}
	return v, ""
}

// storeViewLocked fills in server-side fields and saves the view.
func (s *Server) storeViewLocked(old *View, v map[string]any, trigger, user string) *View {
	if old == nil {
		old = &View{ID: s.nextIDLocked("V"), TriggerID: trigger, UserID: user}
		s.views[old.ID] = old
	} else {
		old.Updates++
	}
	s.seq++
	old.Hash = fmt.Sprintf("%d.%08x", s.Now().Unix(), s.seq)
	str := func(k string) string { x, _ := v[k].(string); return x }
	old.Type, old.ExternalID = str("type"), str("external_id")
	old.CallbackID, old.PrivateMetadata = str("callback_id"), str("private_metadata")
	old.Blocks, _ = json.Marshal(v["blocks"])
	v["id"], v["team_id"], v["app_id"], v["bot_id"] = old.ID, TeamID, AppID, BotID
	v["app_installed_team_id"], v["hash"], v["root_view_id"] = TeamID, old.Hash, old.ID
	v["state"] = obj{"values": obj{}}
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		v[k] = str(k)
	}
	old.JSON, _ = json.Marshal(v)
	return old
}

func (s *Server) externalInUseLocked(ext string) bool {
	if ext == "" {
		return false
	}
	for _, v := range s.views {
		if v.ExternalID == ext {
			return true
		}
	}
	return false
}

func (s *Server) openLocked(c Call) obj {
	v, code := parseView(c, "modal")
	if code != "" {
		return fail(code)
	}
	if ext, _ := v["external_id"].(string); s.externalInUseLocked(ext) {
		return fail("duplicate_external_id")
	}
	if code := s.useTriggerLocked(c.Param("trigger_id")); code != "" {
		return fail(code)
	}
	view := s.storeViewLocked(nil, v, c.Param("trigger_id"), "")
	return obj{"view": view.JSON}
}

func (s *Server) viewsOpen(c Call) obj { return s.openLocked(c) }

func (s *Server) viewsPush(c Call) obj { return s.openLocked(c) }

func (s *Server) viewsUpdate(c Call) obj {
	var old *View
	if id := c.Param("view_id"); id != "" {
		old = s.views[id]
	} else if ext := c.Param("external_id"); ext != "" {
		for _, v := range s.views {
			if v.ExternalID == ext {
				old = v
			}
		}
	} else {
		return fail("invalid_arguments")
	}
	if old == nil {
		return fail("not_found")
	}
	v, code := parseView(c, old.Type)
	if code != "" {
		return fail(code)
	}
	if h := c.Param("hash"); h != "" && h != old.Hash {
		return fail("hash_conflict")
	}
	view := s.storeViewLocked(old, v, "", old.UserID)
	return obj{"view": view.JSON}
}

func (s *Server) viewsPublish(c Call) obj {
	user := c.Param("user_id")
	if user == "" {
		return fail("invalid_arguments")
	}
	v, code := parseView(c, "home")
	if code != "" {
		return fail(code)
	}
	old := s.views[s.homes[user]]
	if h := c.Param("hash"); h != "" && old != nil && h != old.Hash {
		return fail("hash_conflict")
	}
	view := s.storeViewLocked(old, v, "", user)
	s.homes[user] = view.ID
	return obj{"view": view.JSON}
}
