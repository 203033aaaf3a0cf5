package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

type user struct {
	name string
	tz   string
	loc  *time.Location
}

// SetUser defines (or replaces) the user users.info answers for id. tz is an
// IANA zone name such as "Europe/Berlin"; users.info derives tz_label and
// tz_offset from it at the fake clock's current time. SetUser panics if tz
// is not a known zone.
func (s *Server) SetUser(id, name, tz string) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic("slackfake: SetUser: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = user{name: name, tz: tz, loc: loc}
}

// SetUserGroup defines the members usergroups.users.list answers for the
// user group id (S…). Unknown groups answer no_such_subteam.
func (s *Server) SetUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = append([]string{}, members...)
}

// tzLabels maps zone abbreviations to the long names Slack shows as tz_label.
var tzLabels = map[string]string{
	"UTC": "Coordinated Universal Time", "GMT": "Greenwich Mean Time",
	"BST": "British Summer Time", "WET": "Western European Time", "WEST": "Western European Summer Time",
	"CET": "Central European Time", "CEST": "Central European Summer Time",
	"EET": "Eastern European Time", "EEST": "Eastern European Summer Time", "MSK": "Moscow Time",
	"PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time",
	"MST": "Mountain Standard Time", "MDT": "Mountain Daylight Time",
	"CST": "Central Standard Time", "CDT": "Central Daylight Time",
	"EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time",
	"AKST": "Alaska Standard Time", "AKDT": "Alaska Daylight Time",
	"HST": "Hawaii-Aleutian Standard Time", "JST": "Japan Standard Time", "KST": "Korea Standard Time",
	"AEST": "Australian Eastern Standard Time", "AEDT": "Australian Eastern Daylight Time",
	"ACST": "Australian Central Standard Time", "ACDT": "Australian Central Daylight Time",
	"AWST": "Australian Western Standard Time", "NZST": "New Zealand Standard Time",
	"NZDT": "New Zealand Daylight Time", "SAST": "South Africa Standard Time",
}

// tzLabel returns a Slack-like tz_label for abbreviation abbr in zone tz.
func tzLabel(tz, abbr string) string {
	if abbr == "IST" {
		switch tz {
		case "Europe/Dublin":
			return "Irish Standard Time"
		case "Asia/Jerusalem", "Asia/Tel_Aviv":
			return "Israel Standard Time"
		}
		return "India Standard Time"
	}
	if l, ok := tzLabels[abbr]; ok {
		return l
	}
	return abbr
}

func (s *Server) usersInfo(c Call) obj {
	id := c.Param("user")
	u, ok := s.users[id]
	if !ok {
		return fail("user_not_found")
	}
	abbr, offset := s.Now().In(u.loc).Zone()
	first, _, _ := strings.Cut(u.name, " ")
	return obj{"user": obj{
		"id": id, "team_id": TeamID, "name": u.name, "real_name": u.name, "deleted": false,
		"tz": u.tz, "tz_label": tzLabel(u.tz, abbr), "tz_offset": offset,
		"is_bot": false, "is_app_user": false, "updated": s.Now().Unix(),
		"profile": obj{"real_name": u.name, "display_name": u.name, "first_name": first,
			"real_name_normalized": u.name, "display_name_normalized": u.name, "team": TeamID},
	}}
}

func (s *Server) usergroupsUsersList(c Call) obj {
	members, ok := s.groups[c.Param("usergroup")]
	if !ok {
		return fail("no_such_subteam")
	}
	return obj{"users": append([]string{}, members...)}
}

func (s *Server) authTest(Call) obj {
	return obj{"url": "https://fake-workspace.slack.com/", "team": TeamName, "user": BotName,
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false}
}

func (s *Server) appsConnectionsOpen(Call) obj {
	var b [12]byte
	_, _ = rand.Read(b[:])
	ticket := hex.EncodeToString(b[:])
	s.tickets[ticket] = true
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return obj{"url": u}
}
