package blockkit

import (
	"github.com/slack-go/slack"

	"relman/store"
)

// HomeView is the App Home tab showing docs in order, a divider between
// them. Each doc is rendered as Blocks renders it, without its buttons
// (their handlers expect a message, not a view) and without block_ids. The
// tab holds at most 100 blocks: when the docs need more, HomeView keeps the
// first ones and ends with a context block "…and N more not shown". Docs
// with nothing to show are skipped; with none left the view has no blocks.
func HomeView(sections ...store.Doc) slack.HomeTabViewRequest {
	var ps []part
	for _, d := range sections {
		dp := parts(d, false)
		if len(dp) == 0 {
			continue
		}
		if len(ps) > 0 {
			ps = append(ps, part{block: slack.NewDividerBlock()})
		}
		ps = append(ps, dp...)
	}
	return slack.HomeTabViewRequest{
		Type:   slack.VTHomeTab,
		Blocks: slack.Blocks{BlockSet: fit(ps, maxViewBlocks)},
	}
}
