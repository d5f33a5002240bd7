-- Webhook push delivery to agencies: one row per (routed event, agency webhook).
-- `id` is the delivery's idempotency key (sent as `Idempotency-Key`); `event_id` makes
-- enqueueing idempotent when the routed event is re-delivered.
CREATE TABLE webhook_delivery (
    id               uuid PRIMARY KEY,
    agency_id        text NOT NULL,
    dossier_id       uuid NOT NULL,
    event_id         uuid NOT NULL UNIQUE,
    payload          jsonb NOT NULL,
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'dead')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);

-- Each agency's worker polls only its own due rows.
CREATE INDEX webhook_delivery_due ON webhook_delivery (agency_id, next_attempt_at)
    WHERE state = 'pending';
