-- Jobs of the queue-buffered async path: submitted over the WebSocket or HTTP API, processed by the
-- worker, read back with GET /jobs/{id} by their owner only.
CREATE TABLE jobs (
  id          text        PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  owner       text        NOT NULL CHECK (length(owner) BETWEEN 1 AND 256),
  type        text        NOT NULL,
  input       jsonb       NOT NULL,
  status      text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  result      jsonb,
  error       text,
  attempts    integer     NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz
);
CREATE INDEX jobs_owner_created_at ON jobs (owner, created_at DESC);

-- The app's privileges, held by a group role; the app's login role (named in stack config) is made a
-- member of it by the migrate function. Roles are cluster-wide, so create it only if it is not there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_rw') THEN
    CREATE ROLE app_rw NOLOGIN;
  END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE ON jobs TO app_rw;
