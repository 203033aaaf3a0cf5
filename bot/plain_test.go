package bot

import "testing"

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"DecodesMentionsAndChannels", "<@UALICE> moved it; see <#CPAY>", "@UALICE moved it; see #CPAY"},
		{"KeepsLabels", "<@U1|alex> in <#C1|releases>", "@alex in #releases"},
		{"DecodesSpecialMentionsAndGroups", "<!here> <!subteam^S1|@ccb>", "@here @ccb"},
		{"DecodesEntitiesOfEscapedUserText", "a &lt;b&gt; &amp;amp;", "a <b> &amp;"},
		{"ReplacesEmoji", ":white_check_mark: done :x:", "✓ done ✗"},
		{"ShowsLinksWithTheirAddress", "<https://example.com|docs>", "docs (https://example.com)"},
		{"KeepsLineBreaks", "*Digests*\n• <#C1>", "*Digests*\n• #C1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.in); got != tc.want {
				t.Errorf("PlainText(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}
