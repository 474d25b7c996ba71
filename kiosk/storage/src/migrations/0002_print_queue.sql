-- The print queue: every receipt the terminal was asked to print, so one
-- that fails (paper out, cover open, printer unplugged) is not lost.
-- A receipt never holds an ID number; `reference` is what it prints instead.
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY,
    -- Printed on the receipt; staff use it to find the matching record. A
    -- reprint is another job with the same reference.
    reference TEXT NOT NULL,
    -- What kind of receipt ('article', 'test', ...).
    kind TEXT NOT NULL,
    -- A short description for staff and logs, without personal data.
    title TEXT NOT NULL,
    -- The resident session that asked for it (numbered per start-up).
    session INTEGER NOT NULL,
    -- The start-up of the terminal it belongs to, so jobs left over from an
    -- earlier run are recognised.
    boot TEXT NOT NULL,
    -- The ESC/POS bytes, rendered for `profile` when queued.
    escpos BLOB NOT NULL,
    profile TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'printed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Why the last attempt failed ('paper-out', 'cover-open', 'disconnected'...).
    last_problem TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
) STRICT;

CREATE INDEX print_jobs_by_state ON print_jobs (state, id);
CREATE INDEX print_jobs_by_reference ON print_jobs (reference);
