package bot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

// TestManifests checks the app manifests an admin creates the app from:
// both commands with escaping on, the message shortcut, interactivity, the
// App Home event and scopes, and in HTTP mode the request URLs of every
// endpoint.
func TestManifests(t *testing.T) {
	for _, tc := range []struct {
		file   string
		socket bool
	}{
		{"../slack-app-manifest.yml", false},
		{"../slack-app-manifest.socket.yml", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var m slack.Manifest
			if err := yaml.Unmarshal(b, &m); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if m.Display.Name == "" || len(m.Display.Name) > 35 {
				t.Errorf("display name %q: want 1–35 characters", m.Display.Name)
			}
			var cmds []string
			for _, c := range m.Features.SlashCommands {
				cmds = append(cmds, c.Command)
				if !c.ShouldEscape {
					t.Errorf("%s: should_escape must be true so mentions arrive as IDs", c.Command)
				}
				if !tc.socket && !strings.HasSuffix(c.Url, "/slack/commands") {
					t.Errorf("%s: url %q must end in /slack/commands", c.Command, c.Url)
				}
			}
			if !slices.Equal(cmds, []string{"/release", "/ccb"}) {
				t.Errorf("commands = %v; want [/release /ccb]", cmds)
			}
			if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].Type != "message" || len(m.Features.Shortcuts[0].Name) > 24 {
				t.Errorf("shortcuts = %+v; want one message shortcut with a name of at most 24 characters", m.Features.Shortcuts)
			}
			if !m.Settings.Interactivity.IsEnabled {
				t.Error("interactivity is off")
			}
			if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, "app_home_opened") {
				t.Error("app_home_opened is not subscribed")
			}
			if m.Settings.SocketModeEnabled != tc.socket {
				t.Errorf("socket_mode_enabled = %v; want %v", m.Settings.SocketModeEnabled, tc.socket)
			}
			if !tc.socket {
				if !strings.HasSuffix(m.Settings.Interactivity.RequestUrl, "/slack/interactions") {
					t.Errorf("interactivity url = %q", m.Settings.Interactivity.RequestUrl)
				}
				if !strings.HasSuffix(m.Settings.EventSubscriptions.RequestUrl, "/slack/events") {
					t.Errorf("events url = %q", m.Settings.EventSubscriptions.RequestUrl)
				}
			}
			for _, s := range []string{"commands", "chat:write", "im:write", "users:read", "usergroups:read", "channels:history", "groups:history", "im:history", "files:write"} {
				if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
					t.Errorf("bot scope %s missing", s)
				}
			}
		})
	}
}
