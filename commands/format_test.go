package commands_test

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// cmpCommands compares parsed commands field by field, unexported ones too.
var cmpCommands = cmp.Exporter(func(reflect.Type) bool { return true })

// everyKind has every command of the table at least once, with the
// reasons, titles and names that are hard to write back: a reason ending
// in "preview" or "anyway", quotes, mentions, channels, entities, and
// external names with spaces.
var everyKind = []string{
	"help", "help move", "help <@U1>", `help "two words"`, "ccb help", "ccb help request", "ccb",
	"add", "add payments 2.4.0 2027-02-01", "add payments@2.4.0 +2w owner <@UBOB|bob> channel <#CPAY|payments> anyway",
	"list", "list payments at-risk mine shipped all", "list due 2w", "list payments due 10d mine", "list externals mine",
	"show payments@2.3.0", "history payments 2.3.0", "impact auth@1.4.0", "reopen payments@2.3.0",
	"move payments@2.3.0 2027-02-01",
	"move payments@2.3.0 2027-02-01 because the SDK preview preview",
	"move payments@2.3.0 2027-02-01 because the audit moved",
	"move payments@2.3.0 2027-02-01 because waiting for the Preview",
	"move payments@2.3.0 2026-12-01 because rebased anyway",
	"move payments@2.3.0 2026-12-01 anyway because we said “anyway” anyway",
	"move payments@2.3.0 2027-02-01 because &lt;!channel&gt; &amp; <!here> <https://x.com|label> <@U1> <#C1|general>",
	`move payments@2.3.0 2027-02-01 because he said "ship it" preview`,
	`move payments@2.3.0 2027-02-01 because "quoted""twice"`,
	"move payments@2.3.0 fri because a reason\nover two lines preview anyway",
	"ship auth@1.4.0", "ship auth 1.4.0 on 2026-12-31 anyway",
	"cancel mobile@5.0 because “Stripe SDK” slipped", "delete payments@2.3.0 because typo, meant 2.3.1 anyway",
	"depend mobile 5.0 on auth 1.4.0 by +1w", `depend mobile@5.0 on external “Okta API” due +3d owner <@USAM> by fri`,
	`depend mobile@5.0 on external "Stripe &amp; Co SDK" due 2027-03-01`,
	"undepend mobile@5.0 on payments@2.3.0", `undepend mobile@5.0 on external "stripe sdk"`,
	`confirm external "Stripe SDK"`, `confirm external "Stripe SDK 5" due 2027-02-01`,
	`commit mobile@5.0 on payments@2.3.0`, `commit mobile@5.0 on external "Stripe SDK"`, `commit mobile@5.0 on payments@2.3.0 anyway`,
	`digest daily 08:30 me weekends payments`,
	`add paymnts 4.3.0 2027-03-01 new`, `depend mobile@5.0 on payments@2.3.0 by target`,
	`confirm external "Stripe SDK" due 2027-02-01 because the vendor slipped`, `role paymentz release-manager <@U1> new`,
	`ccb board paymentz members add <@U1> new`, `freeze paymentz 2027-02-01 2027-02-03 because audit new`,
	`show external "Stripe SDK"`, `history external "Stripe SDK"`, `impact external "Stripe SDK"`,
	`audit payments since 2027-01-01 before 1234`, `audit <@U1>`, `audit payments@2.3.0`, `audit`, `restore payments@2.3.0 because deleted the wrong one`,
	`propose mobile@5.0 on payments@2.3.0 2027-01-25 anyway because the HSM firmware is late`,
	`propose mobile@5.0 on external "Stripe SDK" 2027-01-25 because the HSM firmware is late preview`,
	"accept mobile@5.0 on payments@2.3.0", "accept mobile@5.0 on payments@2.3.0 2027-01-25",
	"role payments", "role payments 2.3.0", "role payments 2.3.0 rm <@UBOB|bob> <@W123> <@UBOB>", "role payments pm none",
	"set payments@2.3.0 owner <@USAM> channel <#CNEW|new> version 2.3.1 product billing", `set external "Stripe SDK" owner <@UKIM>`,
	"digest list", "digest off", "digest off me", "digest off <#CREL>", "digest now payments auth",
	"digest daily 9:00", "digest weekly MON 09:30 <#CREL|releases> payments", "digest daily 17:05 me here",
	"agenda", "agenda payments auth", "calendar", "calendar payments", "calendar revoke",
	"timeline", "timeline payments mobile weeks 12", "timeline weeks 8",
	`check payments@2.3.0 add "security review" owner <@USAM|sam> due +1w before production`, `check payments 2.3.0 add “notes ""v2""” before Test`,
	"check payments@2.3.0", "check payments@2.3.0 list", "check payments@2.3.0 done #2", "check payments@2.3.0 undo 3", "check payments@2.3.0 due 2 fri",
	`checklist payments add "release notes" days-before 0 before production owner <@U1>`, `checklist paymnts add "pen test" new`,
	"checklist payments", "checklist payments remove 2",
	"freeze list", "freeze remove FZ-3", "freeze payments checkout 2027-12-20 2028-01-03 because holiday trading",
	"freeze all 2027-12-20 2028-01-03 because “code freeze” preview",
	"ccb request payments@2.3.0 switch the card processor to Adyen deadline +2d",
	"ccb request payments@2.3.0 move the deadline deadline +48h", `ccb request payments@2.3.0 "a title" deadline 2027-01-20`,
	"ccb request payments@2.3.0 a title ending in deadline", "ccb list", "ccb list all payments", "ccb list open",
	"ccb show CR-12", "ccb withdraw cr-3", "ccb decide CR-12 approve because the outage fix can't wait",
	"ccb delegate @sam until fri payments", "ccb delegate <@USAM> until 2027-02-01",
	"ccb board default", "ccb board payments show", "ccb board payments members add <@UA> <!subteam^S123|@ccb> <@UB>",
	"ccb board payments members remove <@UA>", "ccb board payments policy quorum 3 veto <@UA> deadline +2d default reject anonymous",
	"ccb board default policy any veto none deadline +36h open", "ccb board payments policy majority deadline +1000w",
	"pipeline payments", "pipeline payments build test staging production", "pipeline paymentz build production new",
	"stage payments@2.3.0 test on 2027-01-10", "stage payments 2.3.0 test on 2027-01-12 because QA moved anyway",
	"promote payments@2.3.0 to test", "stage payments@2.3.0 test on 2027-01-12 because QA moved preview", `stage payments@2.3.0 test on 2027-01-12 because "a preview" anyway`, "promote payments 2.3.0 to staging on 2027-01-03 anyway",
	"depend mobile@5.0 on payments@2.3.0 in test by 2027-01-10",
}

// corpus is every text the fuzz targets start from: their seeds and the
// inputs saved under testdata/fuzz.
func corpus(tb testing.TB) []string {
	tb.Helper()
	texts := append(append([]string{}, fuzzSeeds...), everyKind...)
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "string(") {
				s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(l, "string("), ")"))
				if err != nil {
					tb.Fatalf("%s: %v", name, err)
				}
				texts = append(texts, s)
			}
		}
		f.Close()
	}
	return texts
}

var today = store.DateOf(epoch, time.UTC)

// TestFormatIsParsesInverse: whatever parses, Format writes back as text
// that parses to the same command, and Format of that is the same text.
func TestFormatIsParsesInverse(t *testing.T) {
	kinds := map[string]bool{}
	for _, text := range corpus(t) {
		for _, command := range []string{"/release", "/ccb"} {
			c, err := commands.Parse(command, text, today)
			if err != nil {
				continue
			}
			kinds[reflect.TypeOf(c).String()] = true
			checkRoundTrip(t, command, text, c)
		}
	}
	// Every row of the table (and help, and a bare add's form) is a kind.
	if want := len(commands.Table()) - 2 + 4; len(kinds) < want {
		t.Errorf("the corpus parses into %d kinds of command; want every one (%d): %v", len(kinds), want, kinds)
	}
}

func checkRoundTrip(t *testing.T, command, text string, c commands.Command) {
	t.Helper()
	f := commands.Format(c)
	got, err := commands.Parse("/release", f, today)
	if err != nil {
		t.Errorf("Parse(%q) (Format of %s %q) failed: %v", f, command, text, err)
		return
	}
	if diff := cmp.Diff(c, got, cmpCommands); diff != "" {
		t.Errorf("Parse(Format(Parse(%s %q))) differs; Format wrote %q (-want +got):\n%s", command, text, f, diff)
	}
	if again := commands.Format(got); again != f {
		t.Errorf("Format(Parse(%q)) = %q; want it unchanged", f, again)
	}
}

func FuzzFormat(f *testing.F) {
	for _, s := range corpus(f) {
		f.Add(false, s)
	}
	f.Fuzz(func(t *testing.T, ccb bool, text string) {
		command := "/release"
		if ccb {
			command = "/ccb"
		}
		if c, err := commands.Parse(command, text, today); err == nil {
			checkRoundTrip(t, command, text, c)
		}
	})
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"WritesDatesAbsolute", "move payments 2.3.0 +4w because audit preview", `move payments@2.3.0 2027-02-01 because "audit" preview`},
		{"QuotesAReasonEndingInPreview", "move payments@2.3.0 2027-02-01 because the SDK preview preview", `move payments@2.3.0 2027-02-01 because "the SDK preview" preview`},
		{"PutsAnywayAfterTheDate", "move payments@2.3.0 2026-12-01 because rebased anyway", `move payments@2.3.0 2026-12-01 anyway because "rebased"`},
		{"EscapesAndDoublesQuotes", `cancel mobile@5.0 because a &lt;b&gt; &amp; "c"`, `cancel mobile@5.0 because "a &lt;b&gt; &amp; ""c"""`},
		{"KeepsMentionsAsTyped", "role payments@2.3.0 rm <@UBOB|bob>", "role payments@2.3.0 release-manager <@UBOB>"},
		{"QuotesExternalNames", `confirm external “Stripe SDK”`, `confirm external "Stripe SDK"`},
		{"WritesShipsDate", "ship auth@1.4.0", "ship auth@1.4.0 on 2027-01-04"},
		{"PrefixesCCB", "ccb show cr-12", "ccb show CR-12"},
		{"WritesAdd", "add payments 2.4.0 fri owner <@UBOB|bob> channel <#CPAY|payments>", "add payments@2.4.0 2027-01-08 owner <@UBOB> channel <#CPAY>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := commands.Parse("/release", tc.text, today)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.text, err)
			}
			if got := commands.Format(c); got != tc.want {
				t.Errorf("Format(Parse(%q)) = %q; want %q", tc.text, got, tc.want)
			}
		})
	}
}

// checkButtonsFormatted fails t unless every button of doc runs what
// Format writes: a run button's command, and an ask button's once its form
// is filled with a date and a reason that ends in "preview" and has quotes.
func checkButtonsFormatted(t *testing.T, doc store.Doc) {
	t.Helper()
	for _, b := range doc.Buttons {
		text, ok := render.RunCommand(b.ActionID, b.Value)
		if ask, isAsk := render.AskForm(b.ActionID, b.Value); isAsk {
			var err error
			if text, err = ask.Fill("2027-03-01", `the “beta” SDK "preview"`); err != nil {
				t.Fatalf("button %q: Fill: %v", b.Text, err)
			}
			ok = true
		}
		if !ok {
			continue
		}
		c, err := commands.Parse("/release", text, today)
		if err != nil {
			t.Errorf("button %q runs %q, which does not parse: %v", b.Text, text, err)
			continue
		}
		if f := commands.Format(c); f != text {
			t.Errorf("button %q runs %q; Format writes it %q", b.Text, text, f)
		}
	}
}
