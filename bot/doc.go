// Package bot is relman's transports: the console, Slack over HTTP and
// Socket Mode, Block Kit rendering, and the Slack side of delivering queued
// messages (SlackSender, for the engine in bot/outbox). It is the only
// package that imports slack-go. Every transport translates its input into
// a commands.Request, hands it to one dispatcher, and renders the
// commands.Reply it gets back.
package bot
