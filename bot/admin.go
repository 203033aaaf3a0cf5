package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"relman/store"
)

// AdminHandler serves operator calls on the loopback-only admin listener:
//
//	GET /backup   a consistent copy of the database as a bbolt file, which
//	              backup writes (main wires boltdb.WriteBackup: bbolt's
//	              Tx.WriteTo, or a store.Copy of PostgreSQL's data from one
//	              snapshot); 501 if backup returns store.ErrNoBackup having
//	              written nothing
func AdminHandler(backup func(ctx context.Context, w io.Writer) (int64, error), clock store.Clock) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		name := fmt.Sprintf("relman-%s.db", clock.Now().UTC().Format("20060102T150405Z"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		if _, err := backup(r.Context(), w); err != nil {
			if errors.Is(err, store.ErrNoBackup) {
				// Nothing was written: say why instead of sending a file.
				w.Header().Del("Content-Disposition")
				http.Error(w, err.Error(), http.StatusNotImplemented)
				return
			}
			// Headers are gone; abort so the client sees a broken transfer, not a short file.
			panic(http.ErrAbortHandler)
		}
	})
	return mux
}
