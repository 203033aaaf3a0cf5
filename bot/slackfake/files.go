package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// File is a file uploaded with Slack's external upload: reserved by
// files.getUploadURLExternal, its bytes sent to the upload URL, then
// shared by files.completeUploadExternal.
type File struct {
	ID       string
	Filename string
	Length   int // the length declared to files.getUploadURLExternal
	AltText  string
	Title    string
	// Data is what was sent to the upload URL (nil until then).
	Data []byte
	// Channel and ThreadTS say where files.completeUploadExternal shared
	// it ("" until then), and TS is the message it was shared in.
	Channel, ThreadTS, TS string
}

// UploadPath is the path of the upload URLs files.getUploadURLExternal
// hands out; faults for the upload itself are queued under the method
// name "upload_url".
const UploadPath = "/upload/"

// MaxUpload bounds one uploaded file, as Slack's file size limit does
// (much smaller here: the fake keeps files in memory).
const MaxUpload = 8 << 20

// Files returns the files uploaded so far (reserved, sent or shared), in
// the order they were reserved.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		f := *s.files[id]
		f.Data = append([]byte(nil), f.Data...)
		out = append(out, f)
	}
	return out
}

// SharedFiles returns the files files.completeUploadExternal shared.
func (s *Server) SharedFiles() []File {
	var out []File
	for _, f := range s.Files() {
		if f.TS != "" {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) filesGetUploadURLExternal(c Call) obj {
	name := c.Param("filename")
	n, err := strconv.Atoi(c.Param("length"))
	switch {
	case name == "":
		return fail("invalid_arguments")
	case err != nil || n <= 0:
		return fail("invalid_arguments")
	case n > MaxUpload:
		return fail("file_too_large")
	}
	id := s.nextIDLocked("F")
	s.files[id] = &File{ID: id, Filename: name, Length: n, AltText: c.Param("alt_txt")}
	s.fileOrder = append(s.fileOrder, id)
	return obj{"upload_url": s.srv.URL + UploadPath + id, "file_id": id}
}

// serveUpload takes a file's bytes, sent as the "file" part of a
// multipart form (as slack-go sends it) or as the raw body, and answers
// "OK - <length>" as Slack does. The length must be the one reserved.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: "upload_url", Path: r.URL.Path, At: s.Now(), Form: url.Values{}}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	}
	if a, done := s.applyFault(r.Context(), "upload_url"); done {
		s.finish(w, c, a)
		return
	}
	var data []byte
	var err error
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload+1<<20)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		var f io.ReadCloser
		f, _, err = r.FormFile("file")
		if err == nil {
			data, err = io.ReadAll(f)
			f.Close()
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil || r.Method != http.MethodPost {
		s.finish(w, c, textAnswer(http.StatusBadRequest, "text/plain", "invalid_upload"))
		return
	}
	id := strings.TrimPrefix(r.URL.Path, UploadPath)
	s.mu.Lock()
	f := s.files[id]
	var status int
	var body string
	switch {
	case f == nil:
		status, body = http.StatusNotFound, "file_not_found"
	case f.TS != "":
		status, body = http.StatusBadRequest, "already_shared"
	case len(data) != f.Length:
		status, body = http.StatusBadRequest, fmt.Sprintf("length_mismatch: reserved %d, sent %d", f.Length, len(data))
	default:
		f.Data = data
		status, body = http.StatusOK, "OK - "+strconv.Itoa(len(data))
	}
	s.mu.Unlock()
	c.Form.Set("file_id", id)
	s.finish(w, c, textAnswer(status, "text/plain; charset=utf-8", body))
}

func (s *Server) filesCompleteUploadExternal(c Call) obj {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.Param("files")), &list); err != nil || len(list) == 0 {
		return fail("invalid_arguments")
	}
	for _, it := range list {
		f := s.files[it.ID]
		if f == nil || f.Data == nil {
			return fail("file_not_found") // reserved but never sent: Slack has nothing to share
		}
		if f.TS != "" {
			return fail("file_already_shared")
		}
	}
	channel := c.Param("channel_id")
	if channel == "" {
		channel = c.Param("channels")
	}
	if channel == "" || strings.Contains(channel, ",") || isUserID(channel) {
		return fail("invalid_channel") // one conversation ID (a DM's D… ID, not a user ID)
	}
	if code := s.rejectionLocked(channel); code != "" {
		return fail(code)
	}
	blocks := c.raw("blocks")
	if code := checkBlocks(blocks, 50); code != "" {
		return fail(code)
	}
	text := c.Param("initial_comment")
	if text != "" {
		blocks = nil // Slack ignores blocks when there is an initial comment
	}
	m := &Message{Channel: channel, TS: s.nextTSLocked(), ThreadTS: c.Param("thread_ts"), Text: text, Blocks: blocks, User: BotUserID}
	out := make([]obj, 0, len(list))
	for _, it := range list {
		f := s.files[it.ID]
		f.Title, f.Channel, f.ThreadTS, f.TS = it.Title, channel, m.ThreadTS, m.TS
		m.Files = append(m.Files, f.ID)
		out = append(out, obj{"id": f.ID, "title": f.Title})
	}
	s.messages[channel] = append(s.messages[channel], m)
	return obj{"files": out}
}
