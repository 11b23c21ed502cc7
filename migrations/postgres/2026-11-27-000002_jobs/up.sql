-- The record of scheduled job runs. One row per (job, tick): the instance that inserts it
-- runs that tick, so each tick runs once however many instances share the database
-- (runs also hold a per-job advisory lock, so they never overlap).
CREATE TABLE job_runs (
    id           TEXT PRIMARY KEY,
    job          TEXT NOT NULL,
    tick         TIMESTAMPTZ NOT NULL,
    instance     TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    rows_changed BIGINT,
    error        TEXT,
    CONSTRAINT job_runs_job_tick_key UNIQUE (job, tick)
);
CREATE INDEX job_runs_started_at_idx ON job_runs (started_at);
