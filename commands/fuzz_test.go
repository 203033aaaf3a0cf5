package commands_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/render"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// fuzzUsers are who a fuzzed command runs as: the owner of every fixture
// release, a stranger, the external item's owner, an admin.
var fuzzUsers = []string{alice, bob, sam, root}

// fuzzSeeds cover every command of the table, both release spellings, the
// Slack escapes, and input that is not a command at all.
var fuzzSeeds = []string{
	"", "   ", "help", "help move", "HELP mvoe", "help ccb",
	"add", "add payments 2.4.0 2027-02-01",
	"add <mailto:payments@2.4.0|payments@2.4.0> fri owner <@U0BOB|bob> channel <#C0PAY|payments>",
	"add payments@2.4.0 +2w channel <#C123|> owner @bob", "add payments 2.3.0 today", "add Pay$ 1 fri", "add payments 2.4/0 fri",
	"list", "list payments at-risk mine shipped all", "list all", "list nosuch", "list a b",
	"show payments@2.3.0", "show payments 2.3.0", "show <mailto:payments@2.3.0|payments@2.3.0>", "show payments", "show payments on",
	"move payments@2.3.0 2027-02-01 because &lt;!channel&gt; &amp; <!here> <https://x.com|label> <@U1>",
	"move payments 2.3.0 tomorrow", "move payments@2.3.0 +3w", "move payments@2.3.0 sun because", "move payments@2.3.0 2027-13-01 because x",
	"ship payments@2.3.0 on today", "ship auth@1.4.0", "ship auth 1.4.0 on fri", "ship auth@1.4.0 on 2026-12-31",
	"cancel mobile@5.0 because “Stripe SDK” slipped", "cancel mobile@5.0",
	"depend auth@1.4.0 on mobile@5.0", "depend mobile 5.0 on auth 1.4.0 by +1w", "depend payments@2.3.0 on payments@2.3.0",
	"depend mobile@5.0 on external “Okta API” due +3d owner <@USAM> by fri", `depend mobile@5.0 on external "Stripe SDK"`,
	`depend mobile@5.0 on external "Stripe SDK" due 2027-03-01`, `depend mobile@5.0 on external "" due fri`, "depend mobile@5.0 on external “unterminated",
	"undepend mobile@5.0 on payments@2.3.0", `undepend mobile@5.0 on external "stripe sdk"`, "undepend mobile@5.0",
	`confirm external "Stripe SDK"`, `confirm external "Stripe SDK" due 2027-02-01`, `confirm external "nope"`,
	"impact auth@1.4.0", "impact <mailto:auth@1.4.0>", "history payments@2.3.0", "history payments 9",
	"role payments", "role payments 2.3.0", "role payments 2.3.0 rm <@UBOB|bob> <@W123> <@UBOB>", "role payments pm none", "role payments rm bob",
	"ccb anything", "request payments@2.3.0 new scope deadline +2d", "<!subteam^S123|@ccb> board default show",
	"<!channel>", "<@U012ABCDEF|crushermd>", "<#C012ABCDE>", "&amp;lt;", "&lt;!here&gt;", "<>", "<", ">", "&", "\"", "“", "@", "#",
	"move payments@2.3.0 fri because a\x00b", "show payments@2.3.0\u202e", "show payments@2.3.0 \x1b[2J", "show \xff",
	"mvoe payments@2.3.0 fri", "lst", "z",
}

// MustTemplate returns the bytes of a store file holding MustFixture, so
// each fuzz input can start from a fresh copy.
func MustTemplate(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "template.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("boltdb.Open: %v", err)
	}
	MustFixture(tb, &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC})
	if err := st.Close(); err != nil {
		tb.Fatalf("store.Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzExecute runs random command text through Service.Execute on a copy
// of the fixture store. Every input must get a non-empty reply, never an
// internal error; a refused command must change nothing; and no reply or
// queued message may ping a crowd or carry a link the user typed.
func FuzzExecute(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(false, uint8(i), s)
	}
	f.Add(true, uint8(0), "request payments@2.3.0 new scope")
	f.Add(true, uint8(1), "help")
	f.Add(false, uint8(2), "move payments@2.3.0 +1w because "+strings.Repeat("&amp;", 700))
	f.Add(false, uint8(3), strings.Repeat("x", commands.MaxText+1))
	template := MustTemplate(f)
	f.Fuzz(func(t *testing.T, ccb bool, who uint8, text string) {
		path := filepath.Join(t.TempDir(), "relman.db")
		if err := os.WriteFile(path, template, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
		if err != nil {
			t.Fatalf("boltdb.Open: %v", err)
		}
		defer st.Close()
		svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC, Admins: []string{root}}
		req := commands.Request{User: fuzzUsers[int(who)%len(fuzzUsers)], Channel: defaultChannel, Command: "/release", Text: text}
		if ccb {
			req.Command = "/ccb"
		}

		before := MustSnapshot(t, st)
		r := svc.Execute(context.Background(), req)
		after := MustSnapshot(t, st)

		if strings.TrimSpace(r.Doc.Text) == "" {
			t.Errorf("Execute(%q as %s) gave an empty reply: %+v", text, req.User, r)
		}
		switch r.Code {
		case "", store.EInvalid, store.ENotFound, store.EConflict, store.EForbidden:
		default:
			t.Errorf("Execute(%q as %s).Code = %q; want a user error code:\n%s", text, req.User, r.Code, r.Doc.Text)
		}
		if !r.OK() {
			if diff := cmp.Diff(before, after, cmpDates); diff != "" {
				t.Errorf("Execute(%q as %s) failed with %s but changed the store (-before +after):\n%s", text, req.User, r.Code, diff)
			}
		} else {
			checkAudit(t, st, before.AuditLen, req.User)
		}
		checkDefused(t, "reply to "+req.Command+" "+text, r.Doc)
		for _, m := range after.Outbox[len(before.Outbox):] {
			if m.Channel == "" || strings.TrimSpace(m.Doc.Text) == "" {
				t.Errorf("Execute(%q) queued a message with channel %q and text %q", text, m.Channel, m.Doc.Text)
			}
			checkDefused(t, "message queued by "+text, m.Doc)
		}
		// Whatever was written, the store still reads back.
		if l := svc.Execute(context.Background(), commands.Request{User: alice, Command: "/release", Text: "list all"}); !l.OK() {
			t.Errorf("after Execute(%q), list all fails: %s", text, l.Doc.Text)
		}
	})
}

// checkAudit fails t unless every audit entry after seq was written by user
// at the fake clock's time.
func checkAudit(t *testing.T, st *store.Store, seq int, user string) {
	t.Helper()
	err := st.View(context.Background(), func(tx *store.Tx) error {
		entries, err := tx.AuditLog(uint64(seq), 0)
		for _, a := range entries {
			if a.Actor != user || !a.At.Equal(epoch) {
				t.Errorf("audit entry %d (%s %s) by %q at %v; want by %q at %v", a.Seq, a.Action, a.Subject, a.Actor, a.At, user, epoch)
			}
		}
		return err
	})
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
}

// checkDefused fails t if doc holds a special mention (<!channel>,
// <!here>, <!subteam…>) or a link: relman never writes them itself, so one
// can only come from echoed user text. Mentions of users and channels are
// relman's own (<@U…>, <#C…>).
func checkDefused(t *testing.T, what string, doc store.Doc) {
	t.Helper()
	texts := []string{doc.Text}
	for _, s := range doc.Sections {
		texts = append(texts, s.Text, s.Context)
		texts = append(texts, s.Fields...)
	}
	for _, s := range texts {
		for _, bad := range []string{"<!", "<http", "<mailto", "<ftp"} {
			if strings.Contains(strings.ToLower(s), bad) {
				t.Errorf("%.80q: text contains %q:\n%s", what, bad, s)
			}
		}
	}
}

// FuzzTokenize checks the tokenizer's invariants on any text: it never
// panics; tokens come in order and span non-empty parts of the text with
// only white space between them; each token read again on its own is the
// same token; and Plain's output, escaped, holds no angle brackets.
func FuzzTokenize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{
		"<@U012ABCDEF|crushermd> <#C123|> <!subteam^S123|@ccb> <mailto:a@b.com|a@b.com> <https://x.com|label>",
		"&amp; &lt;x&gt; &amp;lt;", `"a “b” c"`, "x<@U1>y<", "<<>>", "a\u00a0b\u2028c", "\xff<\xfe>", "@a@b #c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		toks := commands.Tokenize(text)
		prev := 0
		for i, tok := range toks {
			if tok.Start < prev || tok.Start >= tok.End || tok.End > len(text) {
				t.Fatalf("Tokenize(%q)[%d] spans %d:%d after %d; want prev ≤ Start < End ≤ %d", text, i, tok.Start, tok.End, prev, len(text))
			}
			if gap := text[prev:tok.Start]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
				t.Errorf("Tokenize(%q) skipped %q before token %d", text, gap, i)
			}
			switch tok.Kind {
			case commands.Word, commands.Quoted, commands.User, commands.Channel, commands.Group:
			default:
				t.Errorf("Tokenize(%q)[%d].Kind = %d", text, i, tok.Kind)
			}
			span := text[tok.Start:tok.End]
			again := commands.Tokenize(span)
			want := tok
			want.Start, want.End = 0, len(span)
			if len(again) != 1 || again[0] != want {
				t.Errorf("Tokenize(%q) = %+v; want [%+v] as in Tokenize(%q)", span, again, want, text)
			}
			prev = tok.End
		}
		if rest := text[prev:]; strings.TrimFunc(rest, unicode.IsSpace) != "" {
			t.Errorf("Tokenize(%q) dropped %q at the end", text, rest)
		}
		if e := render.Escape(commands.Plain(text)); strings.ContainsAny(e, "<>") {
			t.Errorf("Escape(Plain(%q)) = %q; want no angle brackets", text, e)
		}
	})
}
