package bot

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"relman/store"
)

// homeOpened is an app_home_opened event as Slack delivers it, and
// redelivers it when it thinks the first delivery failed.
func homeOpened(eventID, user string) slackevents.EventsAPIEvent {
	return slackevents.EventsAPIEvent{
		Type: slackevents.CallbackEvent,
		Data: &slackevents.EventsAPICallbackEvent{Type: slackevents.CallbackEvent, EventID: eventID},
		InnerEvent: slackevents.EventsAPIInnerEvent{
			Type: string(slackevents.AppHomeOpened),
			Data: &slackevents.AppHomeOpenedEvent{Type: string(slackevents.AppHomeOpened), User: user, Tab: "home"},
		},
	}
}

// TestEventRetriedOnAnotherReplica: two Slack handlers on one store, as two
// replicas on one database; a retry that lands on the other one is dropped
// there, and a new event is handled by whichever gets it.
func TestEventRetriedOnAnotherReplica(t *testing.T) {
	a, fake := slackFixture(t)
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()))
	b := &Slack{Dispatcher: a.Dispatcher, API: api, Clock: a.Clock, Users: &Users{API: api, Clock: a.Clock}}
	ctx := context.Background()

	a.Event(ctx, homeOpened("Ev1", "U1"))
	a.Wait()
	b.Event(ctx, homeOpened("Ev1", "U1")) // the retry, on the other replica
	a.Event(ctx, homeOpened("Ev1", "U1")) // and on the first again
	b.Wait()
	a.Wait()
	if n := len(fake.CallsTo("views.publish")); n != 1 {
		t.Fatalf("views.publish called %d times for one event delivered three times to two replicas; want 1", n)
	}

	b.Event(ctx, homeOpened("Ev2", "U1"))
	b.Wait()
	if n := len(fake.CallsTo("views.publish")); n != 2 {
		t.Errorf("views.publish called %d times after a second event; want 2", n)
	}
}

// TestEventRememberedAcrossRestart: the record is in the database, so a
// retry after a restart (a new handler, empty memory) is dropped too, and
// an hour later the record is gone.
func TestEventRememberedAcrossRestart(t *testing.T) {
	a, fake := slackFixture(t)
	ctx := context.Background()
	a.Event(ctx, homeOpened("Ev1", "U1"))
	a.Wait()
	restarted := &Slack{Dispatcher: a.Dispatcher, API: a.API, Clock: a.Clock, Users: a.Users}
	restarted.Event(ctx, homeOpened("Ev1", "U1"))
	restarted.Wait()
	if n := len(fake.CallsTo("views.publish")); n != 1 {
		t.Errorf("views.publish called %d times after a retry to a restarted replica; want 1", n)
	}
	a.Clock.(*store.FakeClock).Advance(eventTTL + time.Minute)
	again := &Slack{Dispatcher: a.Dispatcher, API: a.API, Clock: a.Clock, Users: a.Users}
	again.Event(ctx, homeOpened("Ev1", "U1"))
	again.Wait()
	if n := len(fake.CallsTo("views.publish")); n != 2 {
		t.Errorf("views.publish called %d times for the event ID again after %s; want 2 (forgotten)", n, eventTTL)
	}
}
