package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack/socketmode"
)

// An envelope whose payload is not what its type promises (a slash command
// whose text is a number) is acknowledged, so Slack does not resend it,
// runs nothing, and is counted.
func TestSocketModeAcksAnUndecodableEnvelope(t *testing.T) {
	z := mustFuzzSocket(t)
	for _, c := range []struct {
		typ     string
		payload string
	}{
		{socketmode.RequestTypeSlashCommands, `{"command":"/release","text":5,"user_id":"U1"}`},
		{socketmode.RequestTypeInteractive, `{"type":"block_actions","actions":"approve"}`},
		{socketmode.RequestTypeEventsAPI, `{"type":"event_callback","event":[1,2]}`},
	} {
		z.send(t, c.typ, json.RawMessage(c.payload))
	}
	if got := metricValue(t, z.Slack.Metrics, "relman_socket_undecodable_total"); got < 1 {
		t.Errorf("relman_socket_undecodable_total = %v, want at least 1", got)
	}
}
