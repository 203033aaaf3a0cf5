package reminders

import (
	"fmt"

	"github.com/robfig/cron/v3"
)

// scheduleParser accepts the standard five fields and descriptors such as
// @every 30s, @hourly and @daily, with an optional CRON_TZ= prefix.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec such as "*/15 * * * *" or "@every 30s".
// It fails with a message that says what is expected.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule like \"*/15 * * * *\" or \"@every 30s\": %v", spec, err)
	}
	return s, nil
}
