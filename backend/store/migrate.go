package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Migration is one numbered schema update. Migrations are append-only: a
// released one is never edited, a fix is a new one.
type Migration struct {
	Version int
	Name    string
	Up      func(ctx context.Context, tx *sql.Tx) error
}

// SchemaVersion reads the version stamped by the last applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Migrate applies every migration newer than the database, each in one
// transaction together with its version bump.
func (db *DB) Migrate(ctx context.Context, ms []Migration) error {
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if n := len(ms); n > 0 && current > ms[n-1].Version {
		return fmt.Errorf("database schema version %d is newer than this Shakedown (knows %d): upgrade Shakedown", current, ms[n-1].Version)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
		if m.Version <= current {
			continue
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := m.Up(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func execAll(stmts ...string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%w in %q", err, s)
			}
		}
		return nil
	}
}

// Migrations is Shakedown's schema history.
var Migrations = []Migration{
	{Version: 1, Name: "users, releases, calendar, audit, operations", Up: execAll(
		`CREATE TABLE users (
			id            INTEGER PRIMARY KEY,
			username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
			display_name  TEXT NOT NULL DEFAULT '',
			password_hash TEXT NOT NULL,
			disabled      INTEGER NOT NULL DEFAULT 0,
			created_at    TEXT NOT NULL
		)`,
		`CREATE TABLE user_roles (
			user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			role    TEXT NOT NULL CHECK (role IN ('tester','manager','admin')),
			PRIMARY KEY (user_id, role)
		)`,
		`CREATE TABLE sessions (
			id_hash      TEXT PRIMARY KEY,
			user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			csrf_token   TEXT NOT NULL,
			created_at   TEXT NOT NULL,
			expires_at   TEXT NOT NULL
		)`,
		`CREATE TABLE api_tokens (
			id           INTEGER PRIMARY KEY,
			user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			name         TEXT NOT NULL,
			prefix       TEXT NOT NULL,
			secret_hash  TEXT NOT NULL UNIQUE,
			created_at   TEXT NOT NULL,
			expires_at   TEXT,
			last_used_at TEXT
		)`,
		`CREATE TABLE cis (
			id          INTEGER PRIMARY KEY,
			name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
			kind        TEXT NOT NULL CHECK (kind IN ('vm','host')),
			environment TEXT NOT NULL,
			criticality TEXT NOT NULL CHECK (criticality IN ('low','medium','high','critical')),
			description TEXT NOT NULL DEFAULT '',
			created_at  TEXT NOT NULL,
			updated_at  TEXT NOT NULL
		)`,
		`CREATE TABLE releases (
			id            INTEGER PRIMARY KEY,
			name          TEXT NOT NULL,
			version       TEXT NOT NULL,
			type          TEXT NOT NULL CHECK (type IN ('major','minor','emergency')),
			description   TEXT NOT NULL DEFAULT '',
			owner         TEXT NOT NULL DEFAULT '',
			environment   TEXT NOT NULL,
			state         TEXT NOT NULL,
			planned_start TEXT NOT NULL,
			planned_end   TEXT NOT NULL,
			risk_score    INTEGER NOT NULL DEFAULT 0,
			risk_level    TEXT NOT NULL DEFAULT 'low',
			risk_reasons  TEXT NOT NULL DEFAULT '[]',
			expedited     INTEGER NOT NULL DEFAULT 0,
			created_by    TEXT NOT NULL,
			created_at    TEXT NOT NULL,
			updated_at    TEXT NOT NULL,
			UNIQUE (name, version),
			CHECK (planned_end > planned_start)
		)`,
		`CREATE INDEX releases_state ON releases(state)`,
		`CREATE INDEX releases_planned ON releases(planned_start, planned_end)`,
		`CREATE INDEX releases_updated ON releases(updated_at)`,
		`CREATE TABLE release_changes (
			id         INTEGER PRIMARY KEY,
			release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			position   INTEGER NOT NULL,
			rfc        TEXT NOT NULL,
			title      TEXT NOT NULL,
			risk       TEXT NOT NULL CHECK (risk IN ('low','medium','high')),
			link       TEXT NOT NULL DEFAULT '',
			created_at TEXT NOT NULL
		)`,
		`CREATE INDEX release_changes_release ON release_changes(release_id, position)`,
		`CREATE TABLE release_cis (
			release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			ci_id      INTEGER NOT NULL REFERENCES cis(id) ON DELETE RESTRICT,
			PRIMARY KEY (release_id, ci_id)
		)`,
		`CREATE INDEX release_cis_ci ON release_cis(ci_id)`,
		`CREATE TABLE release_deps (
			release_id    INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			depends_on_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE RESTRICT,
			PRIMARY KEY (release_id, depends_on_id),
			CHECK (release_id <> depends_on_id)
		)`,
		`CREATE INDEX release_deps_on ON release_deps(depends_on_id)`,
		`CREATE TABLE release_transitions (
			id         INTEGER PRIMARY KEY,
			release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			from_state TEXT NOT NULL,
			to_state   TEXT NOT NULL,
			actor      TEXT NOT NULL,
			at         TEXT NOT NULL,
			reason     TEXT NOT NULL DEFAULT '',
			expedited  INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX release_transitions_release ON release_transitions(release_id, id)`,
		`CREATE TABLE freeze_windows (
			id          INTEGER PRIMARY KEY,
			name        TEXT NOT NULL,
			reason      TEXT NOT NULL DEFAULT '',
			environment TEXT NOT NULL DEFAULT '',
			start_at    TEXT NOT NULL,
			end_at      TEXT NOT NULL,
			recurrence  TEXT NOT NULL CHECK (recurrence IN ('none','weekly','monthly','yearly')),
			created_by  TEXT NOT NULL,
			created_at  TEXT NOT NULL,
			updated_at  TEXT NOT NULL,
			CHECK (end_at > start_at)
		)`,
		`CREATE TABLE audit_log (
			id          INTEGER PRIMARY KEY,
			at          TEXT NOT NULL,
			actor       TEXT NOT NULL,
			action      TEXT NOT NULL,
			entity      TEXT NOT NULL,
			entity_id   TEXT NOT NULL,
			before_json TEXT,
			after_json  TEXT,
			prev_hash   TEXT NOT NULL,
			hash        TEXT NOT NULL
		)`,
		`CREATE INDEX audit_entity ON audit_log(entity, entity_id, id)`,
		`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
		`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
		`CREATE TABLE operations (
			id         TEXT PRIMARY KEY,
			kind       TEXT NOT NULL,
			status     TEXT NOT NULL,
			stage      TEXT NOT NULL DEFAULT '',
			percent    REAL NOT NULL DEFAULT 0,
			message    TEXT NOT NULL DEFAULT '',
			error      TEXT NOT NULL DEFAULT '',
			entity     TEXT NOT NULL DEFAULT '',
			entity_id  TEXT NOT NULL DEFAULT '',
			created_by TEXT NOT NULL,
			created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL
		)`,
		`CREATE INDEX operations_status ON operations(status, created_at)`,
	)},
	{Version: 2, Name: "materialised CI overlaps and scope counts", Up: execAll(
		`ALTER TABLE releases ADD COLUMN ci_count INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE releases ADD COLUMN change_count INTEGER NOT NULL DEFAULT 0`,
		`UPDATE releases SET
			ci_count = (SELECT count(*) FROM release_cis x WHERE x.release_id = releases.id),
			change_count = (SELECT count(*) FROM release_changes x WHERE x.release_id = releases.id)`,
		`CREATE TABLE release_overlaps (
			release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			other_id   INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			PRIMARY KEY (release_id, other_id)
		) WITHOUT ROWID`,
		`CREATE INDEX release_overlaps_other ON release_overlaps(other_id)`,
		`INSERT INTO release_overlaps (release_id, other_id)
			SELECT DISTINCT mine.release_id, theirs.release_id
			FROM release_cis mine
			JOIN release_cis theirs ON theirs.ci_id = mine.ci_id AND theirs.release_id <> mine.release_id
			JOIN releases r1 ON r1.id = mine.release_id
			JOIN releases r2 ON r2.id = theirs.release_id
			WHERE r1.state NOT IN ('cancelled','closed','reviewed','failed','rolled-back')
			  AND r2.state NOT IN ('cancelled','closed','reviewed','failed','rolled-back')
			  AND r2.planned_start < r1.planned_end AND r2.planned_end > r1.planned_start`,
	)},
	{Version: 3, Name: "VM labs: hosts, CIs in libvirt, bases, labs, lab VMs, evidence", Up: execAll(
		`CREATE TABLE settings (
			key   TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE lab_hosts (
			name       TEXT PRIMARY KEY,
			uri        TEXT NOT NULL,
			pool_dir   TEXT NOT NULL DEFAULT '',
			created_at TEXT NOT NULL
		)`,
		`ALTER TABLE cis ADD COLUMN libvirt_host TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE cis ADD COLUMN libvirt_domain TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE labs (
			id           TEXT PRIMARY KEY,
			release_id   INTEGER NOT NULL REFERENCES releases(id),
			host         TEXT NOT NULL,
			network      TEXT NOT NULL DEFAULT '',
			status       TEXT NOT NULL,
			spec         TEXT NOT NULL DEFAULT '{}',
			summary      TEXT NOT NULL DEFAULT '{}',
			expires_at   TEXT NOT NULL,
			operation_id TEXT NOT NULL DEFAULT '',
			error        TEXT NOT NULL DEFAULT '',
			created_by   TEXT NOT NULL,
			created_at   TEXT NOT NULL,
			updated_at   TEXT NOT NULL
		)`,
		`CREATE INDEX labs_release ON labs(release_id, created_at)`,
		`CREATE INDEX labs_status ON labs(status, expires_at)`,
		`CREATE TABLE lab_bases (
			id           INTEGER PRIMARY KEY,
			lab_id       TEXT NOT NULL REFERENCES labs(id),
			host         TEXT NOT NULL,
			domain       TEXT NOT NULL,
			disk         TEXT NOT NULL,
			kind         TEXT NOT NULL CHECK (kind IN ('snapshot','import')),
			base_path    TEXT NOT NULL,
			base_format  TEXT NOT NULL,
			capacity     INTEGER NOT NULL,
			overlay_path TEXT NOT NULL DEFAULT '',
			live         INTEGER NOT NULL DEFAULT 0,
			quiesced     INTEGER NOT NULL DEFAULT 0,
			origin       TEXT NOT NULL DEFAULT '',
			state        TEXT NOT NULL CHECK (state IN ('in-use','released','merged')),
			created_at   TEXT NOT NULL,
			released_at  TEXT
		)`,
		`CREATE TABLE lab_vms (
			lab_id  TEXT NOT NULL REFERENCES labs(id) ON DELETE CASCADE,
			ci_id   INTEGER NOT NULL,
			ci_name TEXT NOT NULL,
			domain  TEXT NOT NULL,
			volume  TEXT NOT NULL DEFAULT '',
			base_id INTEGER REFERENCES lab_bases(id),
			state   TEXT NOT NULL,
			PRIMARY KEY (lab_id, ci_id)
		)`,
		`CREATE TABLE evidence (
			id         INTEGER PRIMARY KEY,
			release_id INTEGER NOT NULL REFERENCES releases(id),
			lab_id     TEXT NOT NULL DEFAULT '',
			at         TEXT NOT NULL,
			vm         TEXT NOT NULL,
			kind       TEXT NOT NULL CHECK (kind IN ('install','check')),
			name       TEXT NOT NULL,
			round      INTEGER NOT NULL DEFAULT 0,
			passed     INTEGER NOT NULL,
			exit_code  INTEGER NOT NULL,
			stdout     TEXT NOT NULL DEFAULT '',
			stderr     TEXT NOT NULL DEFAULT '',
			took_ms    INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE ci_images (
			id          INTEGER PRIMARY KEY,
			ci_id       INTEGER NOT NULL REFERENCES cis(id),
			host        TEXT NOT NULL,
			volume      TEXT NOT NULL,
			path        TEXT NOT NULL,
			format      TEXT NOT NULL,
			source_format TEXT NOT NULL,
			capacity    INTEGER NOT NULL,
			bytes       INTEGER NOT NULL,
			sha256      TEXT NOT NULL,
			origin      TEXT NOT NULL,
			created_by  TEXT NOT NULL,
			created_at  TEXT NOT NULL
		)`,
		`CREATE INDEX ci_images_ci ON ci_images(ci_id, id)`,
		`CREATE INDEX evidence_release ON evidence(release_id, id)`,
		`CREATE INDEX evidence_lab ON evidence(lab_id, id)`,
	)},
	{Version: 4, Name: "packages, sign-off, reviews, release notes", Up: execAll(
		`CREATE TABLE packages (
			digest      TEXT PRIMARY KEY CHECK (digest GLOB 'sha256:*' AND length(digest) = 71),
			name        TEXT NOT NULL,
			version     TEXT NOT NULL,
			description TEXT NOT NULL DEFAULT '',
			format      TEXT NOT NULL CHECK (format IN ('tar.gz','zip')),
			size        INTEGER NOT NULL,
			filename    TEXT NOT NULL DEFAULT '',
			manifest    TEXT NOT NULL,
			entries     TEXT NOT NULL,
			created_by  TEXT NOT NULL,
			created_at  TEXT NOT NULL
		)`,
		`CREATE INDEX packages_created ON packages(created_at)`,
		`CREATE TABLE release_packages (
			id          INTEGER PRIMARY KEY,
			release_id  INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			digest      TEXT NOT NULL REFERENCES packages(digest),
			attached_by TEXT NOT NULL,
			attached_at TEXT NOT NULL
		)`,
		`CREATE INDEX release_packages_release ON release_packages(release_id, id)`,
		`ALTER TABLE releases ADD COLUMN approved_digest TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE approvals (
			id              INTEGER PRIMARY KEY,
			release_id      INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
			decision        TEXT NOT NULL CHECK (decision IN ('approve','reject')),
			actor           TEXT NOT NULL,
			reason          TEXT NOT NULL DEFAULT '',
			package_digest  TEXT NOT NULL,
			evidence_digest TEXT NOT NULL,
			evidence_count  INTEGER NOT NULL,
			round           INTEGER NOT NULL,
			at              TEXT NOT NULL
		)`,
		`CREATE INDEX approvals_release ON approvals(release_id, id)`,
		`CREATE TABLE approval_policies (
			environment  TEXT NOT NULL,
			release_type TEXT NOT NULL CHECK (release_type IN ('major','minor','emergency')),
			required     INTEGER NOT NULL CHECK (required BETWEEN 1 AND 5),
			PRIMARY KEY (environment, release_type)
		)`,
		`INSERT INTO approval_policies (environment, release_type, required) VALUES ('*','minor',1), ('*','major',2), ('*','emergency',1)`,
		`CREATE TABLE release_reviews (
			release_id  INTEGER PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
			outcome     TEXT NOT NULL CHECK (outcome IN ('successful','partially-successful','failed','rolled-back')),
			incidents   TEXT NOT NULL DEFAULT '[]',
			deviations  TEXT NOT NULL DEFAULT '',
			lessons     TEXT NOT NULL DEFAULT '',
			follow_ups  TEXT NOT NULL DEFAULT '[]',
			reviewer    TEXT NOT NULL,
			reviewed_at TEXT NOT NULL,
			updated_at  TEXT NOT NULL
		)`,
		`CREATE TABLE release_notes (
			release_id   INTEGER PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
			markdown     TEXT NOT NULL,
			updated_by   TEXT NOT NULL,
			updated_at   TEXT NOT NULL,
			published_by TEXT NOT NULL DEFAULT '',
			published_at TEXT NOT NULL DEFAULT ''
		)`,
		// Evidence gains manual test runs, the package it was taken with and
		// who added it; SQLite cannot widen a CHECK, so the table is rebuilt.
		`CREATE TABLE evidence_v4 (
			id             INTEGER PRIMARY KEY,
			release_id     INTEGER NOT NULL REFERENCES releases(id),
			lab_id         TEXT NOT NULL DEFAULT '',
			at             TEXT NOT NULL,
			vm             TEXT NOT NULL,
			kind           TEXT NOT NULL CHECK (kind IN ('install','check','manual')),
			name           TEXT NOT NULL,
			round          INTEGER NOT NULL DEFAULT 0,
			passed         INTEGER NOT NULL,
			exit_code      INTEGER NOT NULL,
			stdout         TEXT NOT NULL DEFAULT '',
			stderr         TEXT NOT NULL DEFAULT '',
			took_ms        INTEGER NOT NULL DEFAULT 0,
			package_digest TEXT NOT NULL DEFAULT '',
			added_by       TEXT NOT NULL DEFAULT ''
		)`,
		`INSERT INTO evidence_v4 (id, release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, added_by)
			SELECT e.id, e.release_id, e.lab_id, e.at, e.vm, e.kind, e.name, e.round, e.passed, e.exit_code, e.stdout, e.stderr, e.took_ms,
				coalesce((SELECT l.created_by FROM labs l WHERE l.id = e.lab_id), '') FROM evidence e`,
		`DROP TABLE evidence`,
		`ALTER TABLE evidence_v4 RENAME TO evidence`,
		`CREATE INDEX evidence_release ON evidence(release_id, id)`,
		`CREATE INDEX evidence_lab ON evidence(lab_id, id)`,
	)},
	{Version: 5, Name: "image deletion in two steps; lab bases lose their unread host", Up: execAll(
		// An image's row is marked deleting before its volume goes and is
		// removed after, so that no row ever points at a volume that is gone.
		`ALTER TABLE ci_images ADD COLUMN state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready','deleting'))`,
		`ALTER TABLE lab_bases DROP COLUMN host`,
	)},
	{Version: 6, Name: "indexes for the KPIs' date ranges", Up: execAll(
		// The KPIs read the releases that moved in the range, the reviews
		// written in it and the labs created in it.
		`CREATE INDEX release_transitions_state_at ON release_transitions(to_state, at)`,
		`CREATE INDEX release_reviews_reviewed ON release_reviews(reviewed_at)`,
		`CREATE INDEX labs_created ON labs(created_at)`,
	)},
	{Version: 7, Name: "admins' run-time settings", Up: execAll(
		// One row (the settings package); the key/value settings table of
		// version 3 stays the lab service's own.
		`CREATE TABLE admin_settings (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			body       TEXT NOT NULL,
			updated_by TEXT NOT NULL,
			updated_at TEXT NOT NULL
		)`,
	)},
	{Version: 8, Name: "separation of duties per environment; approvals against failed evidence; CI criticality changes", Up: execAll(
		// Who may approve and who may deploy, per environment ("*" is every
		// environment without its own row): production keeps requesters off
		// their own approvals and approvers off their own deployments,
		// except for emergency releases.
		`CREATE TABLE duty_policies (
			environment           TEXT PRIMARY KEY,
			requester_may_approve INTEGER NOT NULL,
			approver_may_deploy   TEXT NOT NULL CHECK (approver_may_deploy IN ('yes','no','emergency'))
		)`,
		`INSERT INTO duty_policies (environment, requester_may_approve, approver_may_deploy) VALUES ('*', 1, 'yes'), ('production', 0, 'emergency')`,
		`ALTER TABLE approvals ADD COLUMN against_evidence INTEGER NOT NULL DEFAULT 0`,
		// A CI's last change of criticality, shown in the risk reasons of
		// the releases it moved.
		`ALTER TABLE cis ADD COLUMN criticality_was TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE cis ADD COLUMN criticality_changed_by TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE cis ADD COLUMN criticality_changed_at TEXT NOT NULL DEFAULT ''`,
	)},
	{Version: 9, Name: "operations' public error text", Up: execAll(
		// An operation's error as everyone but who started it and admins
		// reads it, when its detail is private (a connection error of a
		// disk import); empty: the error is for everyone.
		`ALTER TABLE operations ADD COLUMN public_error TEXT NOT NULL DEFAULT ''`,
	)},
	{Version: 10, Name: "rollouts: promotion of a release's approved package to its targets", Up: execAll(
		`CREATE TABLE rollouts (
			id            TEXT PRIMARY KEY,
			release_id    INTEGER NOT NULL REFERENCES releases(id),
			digest        TEXT NOT NULL,
			plan          TEXT NOT NULL,
			status        TEXT NOT NULL,
			wave          INTEGER NOT NULL DEFAULT 0,
			phase         TEXT NOT NULL DEFAULT '',
			pause_reason  TEXT NOT NULL DEFAULT '',
			claimed_by    TEXT NOT NULL DEFAULT '',
			claimed_at    TEXT NOT NULL DEFAULT '',
			deadline      TEXT NOT NULL DEFAULT '',
			deadline_left INTEGER NOT NULL DEFAULT 0,
			error         TEXT NOT NULL DEFAULT '',
			created_by    TEXT NOT NULL,
			created_at    TEXT NOT NULL,
			updated_at    TEXT NOT NULL,
			finished_at   TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX rollouts_release ON rollouts(release_id)`,
		`CREATE INDEX rollouts_status ON rollouts(status)`,
		// Every target step is written before it starts and after it ends.
		`CREATE TABLE rollout_targets (
			rollout_id TEXT NOT NULL REFERENCES rollouts(id),
			ci_id      INTEGER NOT NULL REFERENCES cis(id),
			name       TEXT NOT NULL,
			kind       TEXT NOT NULL,
			host       TEXT NOT NULL DEFAULT '',
			domain     TEXT NOT NULL DEFAULT '',
			address    TEXT NOT NULL DEFAULT '',
			wave       INTEGER NOT NULL,
			position   INTEGER NOT NULL,
			state      TEXT NOT NULL,
			snapshot   TEXT NOT NULL DEFAULT '',
			paused_ms  INTEGER NOT NULL DEFAULT 0,
			failed_rounds INTEGER NOT NULL DEFAULT 0,
			unknown_rounds INTEGER NOT NULL DEFAULT 0,
			checks     TEXT NOT NULL DEFAULT '[]',
			error      TEXT NOT NULL DEFAULT '',
			started_at TEXT NOT NULL DEFAULT '',
			ended_at   TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (rollout_id, ci_id)
		)`,
		// One active rollout per target: a row while a rollout holds it.
		`CREATE TABLE rollout_locks (
			ci_id      INTEGER PRIMARY KEY REFERENCES cis(id),
			rollout_id TEXT NOT NULL REFERENCES rollouts(id)
		)`,
		`CREATE TABLE rollout_log (
			id         INTEGER PRIMARY KEY,
			rollout_id TEXT NOT NULL REFERENCES rollouts(id),
			ci_id      INTEGER NOT NULL DEFAULT 0,
			at         TEXT NOT NULL,
			message    TEXT NOT NULL
		)`,
		`CREATE INDEX rollout_log_rollout ON rollout_log(rollout_id, id)`,
		// What runs where: each install Shakedown made on a target.
		`CREATE TABLE target_installs (
			id         INTEGER PRIMARY KEY,
			ci_id      INTEGER NOT NULL REFERENCES cis(id),
			release_id INTEGER NOT NULL REFERENCES releases(id),
			digest     TEXT NOT NULL,
			rollout_id TEXT NOT NULL REFERENCES rollouts(id),
			state      TEXT NOT NULL CHECK (state IN ('installed','rolled-back')),
			at         TEXT NOT NULL
		)`,
		`CREATE INDEX target_installs_ci ON target_installs(ci_id, id)`,
		// A manual target's step, marked by the person who did it.
		`CREATE TABLE rollout_manual (
			rollout_id TEXT NOT NULL REFERENCES rollouts(id),
			ci_id      INTEGER NOT NULL,
			step       TEXT NOT NULL CHECK (step IN ('install','rollback')),
			outcome    TEXT NOT NULL CHECK (outcome IN ('done','failed')),
			by_user    TEXT NOT NULL,
			note       TEXT NOT NULL,
			at         TEXT NOT NULL,
			PRIMARY KEY (rollout_id, ci_id, step)
		)`,
	)},
	{Version: 11, Name: "a change's commit time", Up: execAll(
		// When the change was committed, as its requester gives it (stored
		// time format; empty: not given): lead time counts from it, else
		// from the change's created_at.
		`ALTER TABLE release_changes ADD COLUMN committed_at TEXT NOT NULL DEFAULT ''`,
	)},
	{Version: 12, Name: "target inventory: how rollouts reach each CI, and its tags", Up: execAll(
		// One row per CI that has target details (the inventory package).
		// The credential and sudo password are sealed with AES-256-GCM under
		// the data directory's secret.key, never stored in the clear; the
		// pinned host key is an authorized_keys line and its fingerprint.
		`CREATE TABLE targets (
			ci_id                INTEGER PRIMARY KEY REFERENCES cis(id) ON DELETE CASCADE,
			address              TEXT NOT NULL DEFAULT '',
			port                 INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
			ssh_user             TEXT NOT NULL DEFAULT '',
			auth_kind            TEXT NOT NULL DEFAULT 'none' CHECK (auth_kind IN ('none','password','private-key')),
			credential           BLOB,
			sudo                 INTEGER NOT NULL DEFAULT 0,
			sudo_password        BLOB,
			host_key             TEXT NOT NULL DEFAULT '',
			host_key_fingerprint TEXT NOT NULL DEFAULT '',
			trusted_by           TEXT NOT NULL DEFAULT '',
			trusted_at           TEXT NOT NULL DEFAULT '',
			updated_by           TEXT NOT NULL,
			updated_at           TEXT NOT NULL,
			CHECK ((auth_kind = 'none') = (credential IS NULL))
		)`,
		`CREATE TABLE target_tags (
			ci_id INTEGER NOT NULL REFERENCES cis(id) ON DELETE CASCADE,
			tag   TEXT NOT NULL,
			PRIMARY KEY (ci_id, tag)
		) WITHOUT ROWID`,
		`CREATE INDEX target_tags_tag ON target_tags(tag, ci_id)`,
	)},
	{Version: 13, Name: "a rollout target's command time", Up: execAll(
		// The time its commands took on the target (install, checks,
		// rollback), in milliseconds: against the rollout's wall time it
		// says what orchestration costs.
		`ALTER TABLE rollout_targets ADD COLUMN command_ms INTEGER NOT NULL DEFAULT 0`,
	)},
	{Version: 14, Name: "notifications: outbox, deliveries, webhooks, preferences, SMTP settings", Up: execAll(
		// The notify package's tables. One row of mail settings; its
		// password sealed under secret.key like the targets' credentials.
		`CREATE TABLE notify_settings (
			id             INTEGER PRIMARY KEY CHECK (id = 1),
			body           TEXT NOT NULL,
			smtp_password  BLOB,
			updated_by     TEXT NOT NULL,
			updated_at     TEXT NOT NULL
		)`,
		// Each user's choices: their address, per-event e-mail, digest.
		`CREATE TABLE notify_prefs (
			username     TEXT PRIMARY KEY COLLATE NOCASE,
			email        TEXT NOT NULL DEFAULT '',
			events       TEXT NOT NULL DEFAULT '{}',
			digest       INTEGER NOT NULL DEFAULT 1,
			last_mail_at TEXT NOT NULL DEFAULT '',
			updated_at   TEXT NOT NULL
		)`,
		`CREATE TABLE notify_webhooks (
			id          INTEGER PRIMARY KEY,
			name        TEXT NOT NULL,
			url         TEXT NOT NULL,
			events      TEXT NOT NULL DEFAULT '[]',
			format      TEXT NOT NULL CHECK (format IN ('json','chat')),
			secret      BLOB NOT NULL,
			enabled     INTEGER NOT NULL DEFAULT 1,
			created_by  TEXT NOT NULL,
			created_at  TEXT NOT NULL,
			updated_at  TEXT NOT NULL
		)`,
		// The outbox: one row per thing that happened, written as soon as
		// it is seen; key makes a second sighting of the same thing a no-op.
		`CREATE TABLE notify_outbox (
			id         INTEGER PRIMARY KEY,
			key        TEXT NOT NULL UNIQUE,
			event      TEXT NOT NULL,
			title      TEXT NOT NULL,
			text       TEXT NOT NULL,
			link       TEXT NOT NULL DEFAULT '',
			entity     TEXT NOT NULL,
			entity_id  TEXT NOT NULL,
			at         TEXT NOT NULL
		)`,
		// One row per recipient (a user's mail, a webhook) of a notification.
		`CREATE TABLE notify_deliveries (
			id              INTEGER PRIMARY KEY,
			notification_id INTEGER NOT NULL REFERENCES notify_outbox(id),
			channel         TEXT NOT NULL CHECK (channel IN ('email','webhook')),
			recipient       TEXT NOT NULL,
			state           TEXT NOT NULL CHECK (state IN ('pending','sent','failed')),
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_at         TEXT NOT NULL,
			last_error      TEXT NOT NULL DEFAULT '',
			response_code   INTEGER NOT NULL DEFAULT 0,
			sent_at         TEXT NOT NULL DEFAULT '',
			created_at      TEXT NOT NULL
		)`,
		`CREATE INDEX notify_deliveries_due ON notify_deliveries(state, next_at)`,
		`CREATE INDEX notify_deliveries_recipient ON notify_deliveries(channel, recipient, id)`,
		// Every attempt of a delivery: its history.
		`CREATE TABLE notify_attempts (
			id            INTEGER PRIMARY KEY,
			delivery_id   INTEGER NOT NULL REFERENCES notify_deliveries(id),
			at            TEXT NOT NULL,
			ok            INTEGER NOT NULL,
			response_code INTEGER NOT NULL DEFAULT 0,
			error         TEXT NOT NULL DEFAULT '',
			duration_ms   INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX notify_attempts_delivery ON notify_attempts(delivery_id, id)`,
	)},
	{Version: 15, Name: "a decision's count of its package's evidence", Up: execAll(
		// How many evidence records of its package the decision rested on,
		// written with it (decisions made before: counted from the records
		// taken by then).
		`ALTER TABLE approvals ADD COLUMN package_evidence_count INTEGER NOT NULL DEFAULT 0`,
		`UPDATE approvals SET package_evidence_count = (SELECT count(*) FROM evidence e
			WHERE e.release_id = approvals.release_id AND e.package_digest = approvals.package_digest AND e.at <= approvals.at)`,
	)},
	{Version: 16, Name: "labs from memory: a base's memory image, how each lab VM started", Up: execAll(
		// A capture that saved a running VM's memory: the image's volume,
		// its size, the moment and production's pause (µs; bound = 1 when
		// it is an upper bound, not measured from libvirt's events).
		`ALTER TABLE lab_bases ADD COLUMN memory_volume TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE lab_bases ADD COLUMN memory_bytes INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE lab_bases ADD COLUMN captured_at TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE lab_bases ADD COLUMN pause_us INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE lab_bases ADD COLUMN pause_bound INTEGER NOT NULL DEFAULT 0`,
		// How a lab VM started ('resume' or 'boot'), why when it booted,
		// how long until its agent answered, and the clock a resume corrected.
		`ALTER TABLE lab_vms ADD COLUMN start TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE lab_vms ADD COLUMN start_note TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE lab_vms ADD COLUMN ready_ms INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE lab_vms ADD COLUMN clock_skew_ms INTEGER NOT NULL DEFAULT 0`,
	)},
	{Version: 17, Name: "when a rollout was paused", Up: execAll(
		// The time of the pause that holds a paused rollout ('' while it
		// is not paused): what tells one pause from the next (a claim or
		// an exclusion while paused moves updated_at, not this).
		`ALTER TABLE rollouts ADD COLUMN paused_at TEXT NOT NULL DEFAULT ''`,
		`UPDATE rollouts SET paused_at = updated_at WHERE status = 'paused'`,
	)},
}
