package slackfake

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeTimeout bounds every WebSocket write.
const writeTimeout = 5 * time.Second

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin https://api.slack.com; accept any origin.
	CheckOrigin: func(*http.Request) bool { return true },
}

// wsConn is one accepted Socket Mode connection.
type wsConn struct {
	id   int
	conn *websocket.Conn
	wmu  sync.Mutex // serialises data frames; control frames are safe anyway
	once sync.Once
	done chan struct{}
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.conn.Close()
	})
}

func (c *wsConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

// serveSocket is the WebSocket endpoint apps.connections.open points to.
// Each ticket works once, like Slack's.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ticket := r.URL.Query().Get("ticket")
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1) // Close waits for this handler even after the hijack
	s.mu.Unlock()
	defer s.wg.Done()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{conn: conn, done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.accepted++
	c.id = s.accepted
	hello := obj{"type": "hello", "num_connections": len(s.live) + 1,
		"connection_info": obj{"app_id": AppID},
		"debug_info": obj{"host": fmt.Sprintf("applink-fake-%d", c.id), "build_number": 1,
			"approximate_connection_time": 3600}}
	every := s.PingInterval
	s.mu.Unlock()

	// hello goes out before the connection is visible to SendEnvelope.
	if err := c.write(hello); err != nil {
		c.close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.live = append(s.live, c)
	s.wg.Add(1)
	s.broadcastLocked()
	s.mu.Unlock()

	go s.pingLoop(c, every)
	s.readLoop(c)
}

// pingLoop sends WebSocket PINGs; slack-go's client reconnects without them.
func (s *Server) pingLoop(c *wsConn, every time.Duration) {
	defer s.wg.Done()
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// readLoop records acks until the connection fails, then forgets it.
func (s *Server) readLoop(c *wsConn) {
	defer func() {
		c.close()
		s.mu.Lock()
		s.dropLocked(c)
		s.mu.Unlock()
	}()
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		s.mu.Lock()
		s.acks[ack.EnvelopeID] = ack.Payload
		s.broadcastLocked()
		s.mu.Unlock()
	}
}

func (s *Server) dropLocked(c *wsConn) {
	for i, l := range s.live {
		if l == c {
			s.live = append(s.live[:i:i], s.live[i+1:]...)
			s.broadcastLocked()
			return
		}
	}
}

// Connections returns how many Socket Mode connections were accepted so far
// (including closed ones).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// WaitConnections blocks until at least n Socket Mode connections were
// accepted (hello sent) and returns the count.
func (s *Server) WaitConnections(ctx context.Context, n int) (int, error) {
	for {
		s.mu.Lock()
		got, ch := s.accepted, s.notify
		s.mu.Unlock()
		if got >= n {
			return got, nil
		}
		if err := s.wait(ctx, ch); err != nil {
			return got, err
		}
	}
}

// envelopePayload turns the SendEnvelope payload into JSON: json.RawMessage,
// []byte and strings holding valid JSON are used as they are; anything else
// is JSON-encoded.
func envelopePayload(payload any) (json.RawMessage, error) {
	switch p := payload.(type) {
	case json.RawMessage:
		if !json.Valid(p) {
			return nil, errors.New("slackfake: payload is not valid JSON")
		}
		return p, nil
	case []byte:
		if !json.Valid(p) {
			return nil, errors.New("slackfake: payload is not valid JSON")
		}
		return p, nil
	case string:
		if json.Valid([]byte(p)) {
			return json.RawMessage(p), nil
		}
	}
	return json.Marshal(payload)
}

func newEnvelopeID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// SendEnvelope sends a Socket Mode envelope
// {"envelope_id", "type", "payload", "accepts_response_payload"} to the most
// recent live connection, waiting (bounded by ctx) for one if none is open.
// typ is "slash_commands", "interactive" or "events_api"
// (accepts_response_payload is false for events_api, as on Slack). payload
// may be raw JSON (json.RawMessage, []byte or a JSON string) or any value to
// encode. It returns the envelope ID to pass to WaitAck.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload any) (string, error) {
	raw, err := envelopePayload(payload)
	if err != nil {
		return "", err
	}
	id := newEnvelopeID()
	env := obj{"envelope_id": id, "type": typ, "payload": raw,
		"accepts_response_payload": typ != "events_api"}
	for {
		s.mu.Lock()
		var c *wsConn
		if n := len(s.live); n > 0 {
			c = s.live[n-1]
		}
		ch := s.notify
		s.mu.Unlock()
		if c != nil {
			if err := c.write(env); err == nil {
				return id, nil
			}
			// A dying connection: forget it and wait for the next one.
			c.close()
			s.mu.Lock()
			s.dropLocked(c)
			s.mu.Unlock()
			continue
		}
		if err := s.wait(ctx, ch); err != nil {
			return "", err
		}
	}
}

// WaitAck blocks until the client acknowledged envelopeID and returns the
// ack's payload (nil when the ack carried none).
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	for {
		s.mu.Lock()
		payload, ok := s.acks[envelopeID]
		ch := s.notify
		s.mu.Unlock()
		if ok {
			return payload, nil
		}
		if err := s.wait(ctx, ch); err != nil {
			return nil, err
		}
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} to every live
// connection and closes it, as Slack does for "refresh_requested",
// "warning" or "link_disabled". slack-go's client then reconnects through
// apps.connections.open.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := s.live
	s.live = nil
	s.broadcastLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(obj{"type": "disconnect", "reason": reason,
			"debug_info": obj{"host": fmt.Sprintf("applink-fake-%d", c.id)}})
		c.wmu.Lock()
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, reason), time.Now().Add(writeTimeout))
		c.wmu.Unlock()
		c.close()
	}
}
