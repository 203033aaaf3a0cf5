package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// TestReplyBlocksGolden renders the Block Kit of real command replies and
// channel posts — a release card, a list, an impact tree, an error, the
// history with user text that tries to ping — and compares them with
// testdata/blocks/*.json. Refresh with go test ./bot -update.
func TestReplyBlocksGolden(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC, Admins: []string{"UALEX"}}
	run := func(user, text string) commands.Reply {
		t.Helper()
		return svc.Execute(context.Background(), commands.Request{User: "U" + user, Channel: "C0RELEASES", Command: "/release", Text: text})
	}
	for _, cmd := range []string{
		"add auth 1.4.0 2027-01-15",
		"add payments 2.3.0 2027-01-22 channel <#C0PAY|payments>",
		"add mobile 5.0 2027-02-01 owner <@U0SAM|sam>",
		"add web 3.1 2027-02-05",
		"depend payments@2.3.0 on auth@1.4.0",
		"depend mobile@5.0 on payments@2.3.0",
		"depend web@3.1 on mobile@5.0",
		`depend web@3.1 on external "Stripe SDK &amp; friends" due 2027-01-20`,
		"move auth@1.4.0 2027-01-26 because HSM firmware &lt;!channel&gt; <!here> is late",
	} {
		if r := run("ALEX", cmd); !r.OK() {
			t.Fatalf("%s: %s", cmd, r.Doc.Text)
		}
	}
	cases := map[string]commands.Reply{
		"show":    run("ALEX", "show web@3.1"),
		"list":    run("ALEX", "list"),
		"impact":  run("ALEX", "impact auth@1.4.0"),
		"error":   run("ALEX", "move auth@1.4.0 2027-03-01"),
		"history": run("ALEX", "history auth@1.4.0"),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, "blocks/"+name+".json", blockkit.Ephemeral(reply.Doc))
		})
	}
	t.Run("posts", func(t *testing.T) {
		var msgs []store.Message
		if err := st.View(context.Background(), func(tx *store.Tx) error { msgs, err = tx.Outbox(); return err }); err != nil {
			t.Fatal(err)
		}
		var posts []any
		for _, m := range msgs {
			posts = append(posts, map[string]any{"channel": m.Channel, "text": blockkit.FallbackText(m.Doc), "blocks": blockkit.Blocks(m.Doc, "m"+itoa(int(m.ID)))})
		}
		checkGolden(t, "blocks/posts.json", posts)
	})
	t.Run("home", func(t *testing.T) {
		// On the 15th payments@2.3.0 needs auth@1.4.0 (alex's) in 7 days:
		// alex's Home has releases at risk, with the root cause, and that
		// needed-by date waiting for his answer.
		clock.Set(time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC))
		defer clock.Set(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
		docs, err := svc.Home(context.Background(), "UALEX")
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "blocks/home.json", blockkit.HomeView(docs...))
	})
	t.Run("UserTextNeverPings", func(t *testing.T) {
		b, _ := json.Marshal(blockkit.Ephemeral(cases["history"].Doc))
		s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		for _, bad := range []string{"<!here>", "<!channel>"} {
			if strings.Contains(s, bad) {
				t.Errorf("history blocks contain %s unescaped: %s", bad, s)
			}
		}
		if !strings.Contains(s, `"verbatim":true`) {
			t.Errorf("mrkdwn with user text is not verbatim: %s", s)
		}
	})
	t.Run("DecodesAsSlackBlocks", func(t *testing.T) {
		b, _ := json.Marshal(blockkit.Blocks(cases["show"].Doc, "x"))
		var blocks slack.Blocks
		if err := json.Unmarshal(b, &blocks); err != nil || len(blocks.BlockSet) == 0 {
			t.Fatalf("slack-go cannot decode our blocks: %v", err)
		}
	})
}

// checkGolden compares v, as indented JSON, with testdata/name, or rewrites
// it with -update.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String())
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
