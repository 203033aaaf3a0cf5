package bot

import (
	"errors"
	"fmt"
	"net/http"

	"relman/store"
)

// AdminHandler serves operator calls on the loopback-only admin listener:
//
//	GET /backup   a consistent copy of the database (bbolt Tx.WriteTo); 501 on
//	              a database backed up with its own tools (PostgreSQL: pg_dump)
func AdminHandler(st *store.Store, clock store.Clock) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		name := fmt.Sprintf("relman-%s.db", clock.Now().UTC().Format("20060102T150405Z"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		if _, err := st.Backup(r.Context(), w); err != nil {
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
