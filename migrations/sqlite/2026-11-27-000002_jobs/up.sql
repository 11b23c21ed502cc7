-- The record of scheduled job runs (SQLite: timestamps are RFC 3339 text in UTC). One row
-- per (job, tick): the run that inserts it runs that tick.
CREATE TABLE job_runs (
    id           TEXT PRIMARY KEY,
    job          TEXT NOT NULL,
    tick         TEXT NOT NULL,
    instance     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    rows_changed INTEGER,
    error        TEXT,
    CONSTRAINT job_runs_job_tick_key UNIQUE (job, tick)
);
CREATE INDEX job_runs_started_at_idx ON job_runs (started_at);
