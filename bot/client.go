package bot

import (
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// NewClient returns the Slack Web API client relman serves with: the bot
// token, the app-level token Socket Mode needs (empty in HTTP mode), the
// Web API's base URL, and a 15-second bound on each call. Building it here
// keeps slack-go inside bot.
func NewClient(botToken, appToken, apiURL string) *slack.Client {
	opts := []slack.Option{slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second})}
	if appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(appToken))
	}
	return slack.New(botToken, opts...)
}

// NewSocketMode returns Socket Mode serving sl over sl.API, which must carry
// an app-level token (NewClient).
func NewSocketMode(sl *Slack) *SocketMode {
	return &SocketMode{Slack: sl, Client: socketmode.New(sl.API)}
}
