-- Dead letters republished by `dossierflow dlq redrive`: one row per dead letter, so
-- running a redrive twice republishes nothing twice. A row is inserted in the same
-- transaction that publishes the record and is rolled back when publishing fails.
CREATE TABLE IF NOT EXISTS dlq_redrive (
    dlq_topic     text        NOT NULL,
    dlq_partition int         NOT NULL,
    dlq_offset    bigint      NOT NULL,
    target_topic  text        NOT NULL,
    redriven_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
