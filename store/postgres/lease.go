package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"relman/store"
)

// The leader lease is one row of relman_lease (store.Leaser), judged on
// the server's clock. Its design follows the faults Vault's and OpenBao's
// PostgreSQL locks had: acquiring takes the row only when it has expired
// and bumps the epoch; renewing is an UPDATE matching holder and epoch, so
// it can never take back a lease another holder owns; and the leader's
// writes lock the row FOR SHARE in their own transaction (CheckLease), so
// a takeover waits for them and a stale leader's writes fail.
//
// The row is never deleted, so the epoch only grows. Lease calls do not
// take the write lock: a renewal does not queue behind commands.

var _ store.Leaser = (*DB)(nil)

// leaseName is the row of relman_lease that elects the leader.
const leaseName = "leader"

// Acquire takes the lease when it is free.
func (d *DB) Acquire(ctx context.Context, holder string, ttl time.Duration) (uint64, bool, error) {
	if holder == "" {
		return 0, false, errors.New("postgres: acquire the lease: the holder has no name")
	}
	var epoch int64
	err := d.pool.QueryRow(ctx, `INSERT INTO relman_lease AS l (name, holder, epoch, valid_until)
		VALUES ($1, $2, 1, now() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = l.epoch + 1, valid_until = excluded.valid_until
		WHERE l.valid_until <= now()
		RETURNING epoch`, leaseName, holder, ttl.Microseconds()).Scan(&epoch)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("acquire the lease on %s: %w", d.name, err)
	}
	return uint64(epoch), true, nil
}

var _ store.LeaseClock = (*DB)(nil)

// LeaseLeft returns how long the lease stays valid on the server's clock.
func (d *DB) LeaseLeft(ctx context.Context) (time.Duration, error) {
	var us int64
	err := d.pool.QueryRow(ctx, `SELECT CASE WHEN valid_until <= now() THEN 0
		ELSE (extract(epoch FROM valid_until - now()) * 1000000)::bigint END
		FROM relman_lease WHERE name = $1`, leaseName).Scan(&us)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read the lease on %s: %w", d.name, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// Renew extends holder's lease at epoch; never an upsert.
func (d *DB) Renew(ctx context.Context, holder string, epoch uint64, ttl time.Duration) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE relman_lease SET valid_until = now() + $4 * interval '1 microsecond'
		WHERE name = $1 AND holder = $2 AND epoch = $3`, leaseName, holder, int64(epoch), ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("renew the lease on %s: %w", d.name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release expires holder's lease at epoch now, and wakes the followers.
func (d *DB) Release(ctx context.Context, holder string, epoch uint64) error {
	// One statement, one transaction: the NOTIFY goes out with the commit.
	_, err := d.pool.Exec(ctx, `WITH r AS (UPDATE relman_lease SET valid_until = '-infinity'
		WHERE name = $1 AND holder = $2 AND epoch = $3 RETURNING 1)
		SELECT pg_notify($4, '') FROM r`, leaseName, holder, int64(epoch), "relman_"+store.TopicLease)
	if err != nil {
		return fmt.Errorf("release the lease on %s: %w", d.name, err)
	}
	return nil
}

// CheckLease locks the lease row FOR SHARE in kt when holder holds it at
// epoch: an Acquire's update of the row then waits for kt to end. An
// expired lease nobody has taken yet still passes, which is safe: no one
// else can take it before kt ends.
func (d *DB) CheckLease(kt store.KVTx, holder string, epoch uint64) error {
	t, ok := kt.(*tx)
	if !ok || !t.writable {
		return errors.New("postgres: check the lease: not a read-write transaction of this database")
	}
	found := false
	err := t.query(`SELECT 1 FROM relman_lease WHERE name = $1 AND holder = $2 AND epoch = $3 FOR SHARE`,
		[]any{leaseName, holder, int64(epoch)}, func(pgx.Rows) error {
			found = true
			return nil
		})
	switch {
	case err != nil:
		return t.fail(fmt.Errorf("check the lease: %w", err))
	case !found:
		return fmt.Errorf("%w (held as %s at epoch %d): another replica took it", store.ErrNotLeader, holder, epoch)
	}
	return nil
}

// Holds reads the lease without locking it.
func (d *DB) Holds(ctx context.Context, holder string, epoch uint64) (bool, error) {
	var ok bool
	err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM relman_lease
		WHERE name = $1 AND holder = $2 AND epoch = $3 AND valid_until > now())`, leaseName, holder, int64(epoch)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read the lease on %s: %w", d.name, err)
	}
	return ok, nil
}

// Wakes are NOTIFYs on channel relman_<topic>, sent by the transaction's
// commit (store.Waker); a watcher LISTENs on a connection of its own.

var _ store.Waker = (*DB)(nil)

// Wake notifies relman_<topic> when kt commits (with the changes, at the
// group's COMMIT).
func (d *DB) Wake(kt store.KVTx, topic string) error {
	t, ok := kt.(*tx)
	if !ok || !t.writable {
		return errors.New("postgres: wake: not a read-write transaction of this database")
	}
	if t.done {
		return errEnded
	}
	t.own.wake("relman_" + topic)
	return nil
}

// Watch LISTENs on relman_<topic> on a connection of its own.
func (d *DB) Watch(ctx context.Context, topic string, fn func()) error {
	cfg := d.pool.Config().ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("watch %s on %s: %w", topic, d.name, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{"relman_" + topic}.Sanitize()); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("watch %s on %s: %w", topic, d.name, err)
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch %s on %s: %w", topic, d.name, err)
		}
		fn()
	}
}
