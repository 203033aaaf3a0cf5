package slackfake_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
)

func upload(api *slack.Client, t *testing.T, channel string, data []byte) (*slack.FileSummary, error) {
	return api.UploadFileContext(ctxT(t), slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: "timeline.png", Title: "Release timeline",
		AltTxt: "Release timeline", Channel: channel, Blocks: slack.Blocks{BlockSet: []slack.Block{section("the digest")}},
	})
}

func TestFileUpload(t *testing.T) {
	data := []byte("\x89PNG not really")
	t.Run("SharesTheFileInTheChannelWithItsBlocks", func(t *testing.T) {
		f, api := newFake(t)
		got, err := upload(api, t, "C1", data)
		if err != nil {
			t.Fatal(err)
		}
		files := f.SharedFiles()
		if len(files) != 1 || files[0].ID != got.ID || !bytes.Equal(files[0].Data, data) || files[0].Channel != "C1" ||
			files[0].Title != "Release timeline" || files[0].AltText != "Release timeline" || files[0].Filename != "timeline.png" {
			t.Fatalf("shared files = %+v; want the one uploaded, %s, in C1", files, got.ID)
		}
		msgs := f.Messages("C1")
		if len(msgs) != 1 || len(msgs[0].Files) != 1 || msgs[0].Files[0] != got.ID || !strings.Contains(string(msgs[0].Blocks), "the digest") {
			t.Fatalf("messages = %+v; want one carrying the file and the blocks", msgs)
		}
		for _, m := range []string{"files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"} {
			if n := len(f.CallsTo(m)); n != 1 {
				t.Errorf("%d calls to %s; want 1", n, m)
			}
		}
	})
	t.Run("RefusesAUserIDForTheChannel", func(t *testing.T) {
		_, api := newFake(t)
		_, err := upload(api, t, "UALICE", data)
		slackErr(t, err, "invalid_channel")
	})
	t.Run("RefusesARejectedChannel", func(t *testing.T) {
		f, api := newFake(t)
		f.RejectChannel("C1", "not_in_channel")
		_, err := upload(api, t, "C1", data)
		slackErr(t, err, "not_in_channel")
		if len(f.SharedFiles()) != 0 {
			t.Error("a file was shared in a rejected channel")
		}
	})
	t.Run("FailsLikeSlack", func(t *testing.T) {
		f, api := newFake(t)
		f.RateLimit("files.getUploadURLExternal", 7, 1)
		_, err := upload(api, t, "C1", data)
		if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter.Seconds() != 7 {
			t.Errorf("after a 429: %v; want RateLimitedError with 7s", err)
		}
		f.ServerError("upload_url", 1)
		_, err = upload(api, t, "C1", data)
		if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != 500 {
			t.Errorf("after a 500 from the upload URL: %v; want StatusCodeError 500", err)
		}
		f.Fail("files.completeUploadExternal", slackfake.Fault{Error: "file_upload_failed"}, 1)
		_, err = upload(api, t, "C1", data)
		slackErr(t, err, "file_upload_failed")
		if len(f.SharedFiles()) != 0 {
			t.Errorf("shared %d files after failures; want none", len(f.SharedFiles()))
		}
		if _, err := upload(api, t, "C1", data); err != nil {
			t.Errorf("upload after the faults: %v", err)
		}
	})
	t.Run("RefusesAFileLargerThanItsLimit", func(t *testing.T) {
		_, api := newFake(t)
		_, err := upload(api, t, "C1", make([]byte, slackfake.MaxUpload+1))
		slackErr(t, err, "file_too_large")
	})
}
