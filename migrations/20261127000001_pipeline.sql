-- Core pipeline state: dossiers, their event history, the inbox, the outbox.

-- Current state of each dossier. Personal data is not here: only a masked ID for
-- officers' look-ups and the contact data needed to notify the applicant.
CREATE TABLE dossier (
    id               uuid PRIMARY KEY,
    procedure_code   text        NOT NULL,
    status           smallint    NOT NULL CHECK (status BETWEEN 1 AND 10),
    stage            text        NOT NULL,  -- submitted | verified | enriched | routed | refused | triage
    verification     text,                  -- verified | mismatch | not_found
    mismatch_fields  text[]      NOT NULL DEFAULT '{}',
    dossier_code     text UNIQUE,
    external_code    text,
    agency_id        text,
    receiving_unit   text,
    applicant_id_masked text     NOT NULL,
    contact          jsonb       NOT NULL DEFAULT '{}',
    submitted_at     timestamptz NOT NULL,
    received_at      timestamptz,
    due_at           timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_stage_idx ON dossier (stage);
CREATE INDEX dossier_agency_idx ON dossier (agency_id) WHERE agency_id IS NOT NULL;

-- Every event emitted about a dossier, in order: the audit trail and the replay source.
CREATE TABLE dossier_event (
    seq          bigserial   PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    dossier_id   uuid        NOT NULL REFERENCES dossier (id),
    type         text        NOT NULL,
    payload      jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_event_dossier_idx ON dossier_event (dossier_id, seq);

-- Inbox: events already applied, per consumer. Redelivered events are skipped.
CREATE TABLE processed_event (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Transactional outbox, with Debezium's column names so that change-data-capture can
-- replace the relay later. Rows are deleted once the broker has acknowledged them.
CREATE TABLE outbox (
    id            uuid        PRIMARY KEY,  -- the CloudEvents id
    aggregatetype text        NOT NULL,
    aggregateid   text        NOT NULL,     -- record key
    type          text        NOT NULL,     -- CloudEvents type
    topic         text        NOT NULL,
    source        text        NOT NULL,
    payload       jsonb       NOT NULL,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX outbox_created_idx ON outbox (created_at);

-- Intake idempotency: a retried submission with the same key returns the first result.
CREATE TABLE idempotency_key (
    client        text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    dossier_id    uuid        NOT NULL,
    response      jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, key)
);
