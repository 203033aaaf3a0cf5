package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"relman/reminders"
)

// config is relman's configuration, read from the environment (SPEC §6).
type config struct {
	BotToken      string
	SigningSecret string
	AppToken      string
	APIURL        string
	DB            string // a bbolt file's path, or a PostgreSQL DSN (postgres.IsDSN)
	Addr          string
	Loc           *time.Location
	Sweep         string
	Admins        []string
	AdminAddr     string
	// PublicURL is RELMAN_PUBLIC_URL without a trailing slash: where users
	// reach relman, for calendar feed addresses. "" when unset.
	PublicURL string
	// WebhookSecret (RELMAN_WEBHOOK_SECRET) and GitHubSecret
	// (RELMAN_GITHUB_SECRET) verify the connectors' webhooks; "" turns
	// the endpoint off (404).
	WebhookSecret, GitHubSecret string
	// Jira: RELMAN_JIRA_URL (no trailing slash), RELMAN_JIRA_TOKEN,
	// RELMAN_JIRA_USER (basic auth with the token when set, else Bearer)
	// and the cron spec of the sync, RELMAN_JIRA_SYNC.
	JiraURL, JiraToken, JiraUser, JiraSync string
}

// loadConfig reads and validates every setting, reporting each bad one.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		BotToken:      strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SigningSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		AppToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		APIURL:        or(getenv("SLACK_API_URL"), "https://slack.com/api/"),
		DB:            or(getenv("RELMAN_DB"), "relman.db"),
		Addr:          or(getenv("RELMAN_ADDR"), ":3000"),
		Sweep:         or(getenv("RELMAN_SWEEP"), "*/15 * * * *"),
		AdminAddr:     or(getenv("RELMAN_ADMIN_ADDR"), "127.0.0.1:3001"),
		PublicURL:     strings.TrimRight(strings.TrimSpace(getenv("RELMAN_PUBLIC_URL")), "/"),
		WebhookSecret: strings.TrimSpace(getenv("RELMAN_WEBHOOK_SECRET")),
		GitHubSecret:  strings.TrimSpace(getenv("RELMAN_GITHUB_SECRET")),
		JiraURL:       strings.TrimRight(strings.TrimSpace(getenv("RELMAN_JIRA_URL")), "/"),
		JiraToken:     strings.TrimSpace(getenv("RELMAN_JIRA_TOKEN")),
		JiraUser:      strings.TrimSpace(getenv("RELMAN_JIRA_USER")),
		JiraSync:      or(getenv("RELMAN_JIRA_SYNC"), "*/15 * * * *"),
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if err := checkWhere(c.DB); err != nil {
		bad("RELMAN_DB", "%v", err)
	}
	tz := or(getenv("RELMAN_TZ"), "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("RELMAN_TZ", "%q is not an IANA time zone like Europe/Berlin", tz)
	}
	c.Loc = loc
	for _, a := range strings.Split(getenv("RELMAN_ADMINS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Admins = append(c.Admins, a)
		}
	}
	if _, err := reminders.ParseSchedule(c.Sweep); err != nil {
		bad("RELMAN_SWEEP", "%v", err)
	}
	if _, err := reminders.ParseSchedule(c.JiraSync); err != nil {
		bad("RELMAN_JIRA_SYNC", "%v", err)
	}
	if c.JiraURL != "" {
		if u, err := url.Parse(c.JiraURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("RELMAN_JIRA_URL", "%q is not a base URL like https://acme.atlassian.net", c.JiraURL)
		} else if c.JiraToken == "" {
			bad("RELMAN_JIRA_TOKEN", "required with RELMAN_JIRA_URL (a Jira API token, or a personal access token)")
		}
	}
	if c.BotToken != "" && !strings.HasPrefix(c.BotToken, "xoxb-") {
		bad("SLACK_BOT_TOKEN", "a bot token starts with xoxb-")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		bad("SLACK_APP_TOKEN", "an app-level token starts with xapp-")
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if !strings.HasPrefix(c.APIURL, "http://") && !strings.HasPrefix(c.APIURL, "https://") {
		bad("SLACK_API_URL", "%q is not an http(s) URL", c.APIURL)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("RELMAN_PUBLIC_URL", "%q is not a base URL like https://relman.example.com", c.PublicURL)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("RELMAN_ADDR", "%q is not a listen address like :3000", c.Addr)
	}
	if host, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
		bad("RELMAN_ADMIN_ADDR", "%q is not an address like 127.0.0.1:3001", c.AdminAddr)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		bad("RELMAN_ADMIN_ADDR", "%q must be a loopback address (127.0.0.1 or ::1): it serves operator calls such as backups", c.AdminAddr)
	}
	return c, errors.Join(errs...)
}

// memberID is a Slack member ID: U or W, then upper-case letters and digits.
var memberID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// adminErrors reports the RELMAN_ADMINS entries that are not Slack member
// IDs, or nil. Slack identifies users by member ID in every request, so a
// name (alice, @alice) would never match anyone. The console, whose users
// are names, does not call it.
func (c config) adminErrors() error {
	var bad []string
	for _, a := range c.Admins {
		if !memberID.MatchString(a) {
			bad = append(bad, fmt.Sprintf("%q", a))
		}
	}
	switch len(bad) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("RELMAN_ADMINS: %s is not a Slack member ID like U012ABCDEF; %s", bad[0], findMemberID)
	}
	return fmt.Errorf("RELMAN_ADMINS: %s are not Slack member IDs like U012ABCDEF; %s", strings.Join(bad, ", "), findMemberID)
}

// findMemberID tells an operator where Slack shows a member ID.
const findMemberID = "in Slack, open the person's profile, click ⋮ (More) and choose Copy member ID"

// slack reports whether any Slack setting is present.
func (c config) slack() bool {
	return c.BotToken != "" || c.SigningSecret != "" || c.AppToken != ""
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
