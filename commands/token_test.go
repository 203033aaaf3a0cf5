package commands_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"relman/commands"
	"relman/commands/render"
)

func word(s string) commands.Token   { return commands.Token{Kind: commands.Word, Text: s} }
func quoted(s string) commands.Token { return commands.Token{Kind: commands.Quoted, Text: s} }
func user(id, label string) commands.Token {
	return commands.Token{Kind: commands.User, Text: id, Label: label}
}
func channel(id, label string) commands.Token {
	return commands.Token{Kind: commands.Channel, Text: id, Label: label}
}
func group(id, label string) commands.Token {
	return commands.Token{Kind: commands.Group, Text: id, Label: label}
}

// ignoreOffsets compares tokens by what they say; TestTokenizeOffsets checks
// where they are.
var ignoreOffsets = cmpopts.IgnoreFields(commands.Token{}, "Start", "End")

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []commands.Token
	}{
		{"EmptyHasNoTokens", "", nil},
		{"BlankHasNoTokens", " \t\n\u00a0 ", nil},
		{"SplitsWordsOnAnySpace", "move\tpayments@2.3.0\n fri", []commands.Token{word("move"), word("payments@2.3.0"), word("fri")}},

		// Users, as Slack sends them with escaping on.
		{"UnwrapsUser", "<@U012ABCDEF>", []commands.Token{user("U012ABCDEF", "")}},
		{"UnwrapsUserWithName", "<@U012ABCDEF|crushermd>", []commands.Token{user("U012ABCDEF", "crushermd")}},
		{"UnwrapsEnterpriseUser", "<@W123>", []commands.Token{user("W123", "")}},
		{"UnwrapsUsersInSentence", "ask <@U012ABCDEF> to bake a cake for <@U345GHIJKL>",
			[]commands.Token{word("ask"), user("U012ABCDEF", ""), word("to"), word("bake"), word("a"), word("cake"), word("for"), user("U345GHIJKL", "")}},

		// Channels: public ones carry a name, private ones an empty label.
		{"UnwrapsChannel", "<#C012ABCDE>", []commands.Token{channel("C012ABCDE", "")}},
		{"UnwrapsPrivateChannelWithEmptyLabel", "<#C123|>", []commands.Token{channel("C123", "")}},
		{"UnwrapsChannelWithName", "<#C123|general>", []commands.Token{channel("C123", "general")}},

		// User groups and special mentions.
		{"UnwrapsUserGroupWithHandle", "<!subteam^S123|@ccb>", []commands.Token{group("S123", "ccb")}},
		{"UnwrapsUserGroupWithoutHandle", "<!subteam^S123>", []commands.Token{group("S123", "")}},
		{"TurnsHereIntoWord", "<!here>", []commands.Token{word("@here")}},
		{"TurnsChannelMentionIntoWord", "<!channel>", []commands.Token{word("@channel")}},
		{"TurnsEveryoneIntoWord", "<!everyone>", []commands.Token{word("@everyone")}},
		{"TakesDateFallback", "<!date^1392734382^{date_short}|Feb 18, 2014>", []commands.Token{word("Feb 18, 2014")}},

		// Links: a mailto-wrapped release is the release.
		{"UnwrapsMailtoRelease", "<mailto:payments@2.3.0|payments@2.3.0>", []commands.Token{word("payments@2.3.0")}},
		{"UnwrapsMailtoWithoutLabel", "<mailto:a@b.com>", []commands.Token{word("a@b.com")}},
		{"KeepsLinkLabelAndURL", "<https://x.com|label>", []commands.Token{word("label (https://x.com)")}},
		{"UnwrapsBareLink", "<https://x.com>", []commands.Token{word("https://x.com")}},
		{"UnwrapsLinkLabelledWithItself", "<https://x.com|https://x.com>", []commands.Token{word("https://x.com")}},
		{"DecodesEntitiesInLink", "<https://x.com/?a=1&amp;b=2>", []commands.Token{word("https://x.com/?a=1&b=2")}},

		// Entities are decoded exactly once.
		{"DecodesEntities", "&amp; &lt;x&gt;", []commands.Token{word("&"), word("<x>")}},
		{"DecodesEntitiesOnce", "&amp;lt;", []commands.Token{word("&lt;")}},
		{"DecodesDoubleEscapedAmpersandOnce", "&amp;amp;", []commands.Token{word("&amp;")}},
		{"KeepsUnknownEntity", "&quot;x&quot;", []commands.Token{word("&quot;x&quot;")}},
		{"DecodedBracketsAreNotMentions", "&lt;!channel&gt; &lt;@U1&gt;", []commands.Token{word("<!channel>"), word("<@U1>")}},

		// Quotes group words, straight or curly, and decode what is inside.
		{"GroupsStraightQuotes", `external "Stripe SDK" due fri`, []commands.Token{word("external"), quoted("Stripe SDK"), word("due"), word("fri")}},
		{"GroupsCurlyQuotes", "external “Stripe SDK” due fri", []commands.Token{word("external"), quoted("Stripe SDK"), word("due"), word("fri")}},
		{"GroupsMixedQuotes", "“Stripe SDK\" x", []commands.Token{quoted("Stripe SDK"), word("x")}},
		{"KeepsSpacesInQuotes", `"  two  spaces "`, []commands.Token{quoted("  two  spaces ")}},
		{"QuotesEmptyName", `""`, []commands.Token{quoted("")}},
		{"TakesUnterminatedQuoteToEnd", `external "Stripe SDK due fri`, []commands.Token{word("external"), quoted("Stripe SDK due fri")}},
		{"DecodesInsideQuotes", `"A &amp; B <@U1|al> <#C1|ops>"`, []commands.Token{quoted("A & B @al #ops")}},
		{"QuoteEndsWord", `a"b c"`, []commands.Token{word(`a"b`), word(`c"`)}},

		// Typed at the console, or sent by Slack with escaping off.
		{"TurnsBareAtNameIntoUser", "@alex", []commands.Token{user("alex", "")}},
		{"TurnsBareHashNameIntoChannel", "#releases", []commands.Token{channel("releases", "")}},
		{"KeepsLoneAtAsWord", "@", []commands.Token{word("@")}},
		{"KeepsLoneHashAsWord", "#", []commands.Token{word("#")}},
		{"KeepsReleaseAsWord", "payments@2.3.0", []commands.Token{word("payments@2.3.0")}},
		{"KeepsAtReleaseAsWord", "@payments@2.3.0", []commands.Token{word("@payments@2.3.0")}},

		// Escapes glued to words, and stray brackets.
		{"SplitsWordBeforeEscape", "x<@U1>y", []commands.Token{word("x"), user("U1", ""), word("y")}},
		{"KeepsUnclosedBracketAsWord", "<@U1 fri", []commands.Token{word("<@U1"), word("fri")}},
		{"EmptyBracketsAreEmptyWord", "<>", []commands.Token{word("")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := commands.Tokenize(tt.text)
			if diff := cmp.Diff(tt.want, got, ignoreOffsets, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Tokenize(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// TestTokenizeOffsets checks that each token's Start:End spans exactly the
// text it came from, escapes and quotes included: the parser takes a
// reason's original text from there.
func TestTokenizeOffsets(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // text[Start:End] of each token
	}{
		{"SpansWords", " move  payments@2.3.0 ", []string{"move", "payments@2.3.0"}},
		{"SpansEscapes", "owner <@U1|alex> channel <#C1|>", []string{"owner", "<@U1|alex>", "channel", "<#C1|>"}},
		{"SpansEntities", "&amp; &lt;x&gt;", []string{"&amp;", "&lt;x&gt;"}},
		{"SpansStraightQuotes", `on external "Stripe SDK" due`, []string{"on", "external", `"Stripe SDK"`, "due"}},
		{"SpansCurlyQuotesByBytes", "“Stripe SDK” x", []string{"“Stripe SDK”", "x"}},
		{"SpansUnterminatedQuote", `a "b c`, []string{"a", `"b c`}},
		{"SpansGluedEscape", "x<@U1>y", []string{"x", "<@U1>", "y"}},
		{"SpansMultibyteWords", "héllo wörld", []string{"héllo", "wörld"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tok := range commands.Tokenize(tt.text) {
				got = append(got, tt.text[tok.Start:tok.End])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Tokenize(%q) spans mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"KeepsPlainText", "the PCI audit moved", "the PCI audit moved"},
		{"KeepsSpacingAndLineBreaks", "a  b\n\tc ", "a  b\n\tc "},
		{"NamesUser", "ask <@U012ABCDEF|crushermd>", "ask @crushermd"},
		{"FallsBackToUserID", "ask <@U012ABCDEF>", "ask @U012ABCDEF"},
		{"NamesEnterpriseUser", "<@W123>", "@W123"},
		{"NamesChannel", "in <#C123|general>", "in #general"},
		{"FallsBackToChannelID", "in <#C012ABCDE>", "in #C012ABCDE"},
		{"FallsBackToPrivateChannelID", "in <#C123|>", "in #C123"},
		{"NamesUserGroup", "cc <!subteam^S123|@ccb>", "cc @ccb"},
		{"FallsBackToUserGroupID", "cc <!subteam^S123>", "cc @S123"},
		{"DefusesHere", "because <!here> said so", "because @here said so"},
		{"DefusesChannel", "<!channel>", "@channel"},
		{"UnwrapsMailto", "<mailto:payments@2.3.0|payments@2.3.0> slipped", "payments@2.3.0 slipped"},
		{"UnwrapsMailtoWithoutLabel", "mail <mailto:a@b.com>", "mail a@b.com"},
		{"ShowsLinkLabelAndURL", "see <https://x.com|label>", "see label (https://x.com)"},
		{"UnwrapsBareLink", "see <https://x.com>", "see https://x.com"},
		{"DecodesEntities", "&amp; &lt;x&gt;", "& <x>"},
		{"DecodesEntitiesOnce", "&amp;lt;", "&lt;"},
		{"KeepsTypedEscapesAsText", "&lt;!channel&gt; &amp; &lt;@U1&gt;", "<!channel> & <@U1>"},
		{"KeepsQuotes", `“Stripe SDK” "5"`, `“Stripe SDK” "5"`},
		{"KeepsUnclosedBracket", "a <b &amp; c", "a <b & c"},
		{"DecodesAroundEscapes", "&lt;<@U1|al>&gt;", "<@al>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commands.Plain(tt.text); got != tt.want {
				t.Errorf("Plain(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"DefusesMentionsAndAmpersand", "<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"},
		{"DefusesLink", "<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"},
		{"EscapesAmpersandOfEntity", "&lt;", "&amp;lt;"},
		{"KeepsPlainText", "the PCI audit moved @here", "the PCI audit moved @here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render.Escape(tt.text); got != tt.want {
				t.Errorf("Escape(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestEscapeUndoesPlain checks the round trip the bot relies on: text
// decoded once when read and escaped once when echoed comes back as Slack
// sent it, so users never see &amp;amp;.
func TestEscapeUndoesPlain(t *testing.T) {
	for _, s := range []string{"&amp; &lt;x&gt;", "&amp;lt;", "R&amp;D &lt;3", "no entities"} {
		if got := render.Escape(commands.Plain(s)); got != s {
			t.Errorf("Escape(Plain(%q)) = %q; want %q", s, got, s)
		}
	}
}
