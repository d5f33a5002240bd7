-- Notification sending (#6): the `notification` table becomes the per-channel send queue.
--
-- One row per (dossier, status change, channel), as before; its `id` is the idempotency
-- key every provider receives. A channel worker claims due rows with a lease
-- (`state = 'sending'`, `lease_until`), sends without holding row locks, then records the
-- outcome. States: queued → sending → (sent → awaiting a receipt) → delivered |
-- permanent-failure | technical-failure | temporary-failure (GOV.UK Notify's names).
ALTER TABLE notification
    ADD COLUMN seq              bigserial,
    ADD COLUMN facts            jsonb,
    ADD COLUMN attempts         integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN lease_until      timestamptz,
    ADD COLUMN provider_ref     text,
    ADD COLUMN last_error       text,
    ADD COLUMN template_version text,
    ADD COLUMN sent_at          timestamptz,
    ADD COLUMN finished_at      timestamptz;

-- Rows queued before sending existed were never sent and have no facts to send them with:
-- close them honestly instead of sending stale messages now.
UPDATE notification
   SET state = 'technical-failure', finished_at = now(),
       last_error = 'queued before notification sending existed (migration 0013)'
 WHERE state = 'queued';

ALTER TABLE notification ADD CONSTRAINT notification_state CHECK (state IN (
    'queued', 'sending', 'sent', 'delivered',
    'permanent-failure', 'technical-failure', 'temporary-failure'));

-- Each channel's worker polls only its own due rows: its own retry queue.
CREATE INDEX notification_due ON notification (channel, next_attempt_at)
    WHERE state IN ('queued', 'sending');
-- Per-dossier order within a channel: a later status waits for an earlier unsent one.
CREATE INDEX notification_order ON notification (dossier_id, channel, seq)
    WHERE state IN ('queued', 'sending');
-- Receipts that never came.
CREATE INDEX notification_awaiting_receipt ON notification (channel, sent_at)
    WHERE state = 'sent';

-- Sends counted against each channel's daily cap, per Asia/Ho_Chi_Minh calendar day.
CREATE TABLE notification_daily_use (
    channel text    NOT NULL,
    day     date    NOT NULL,
    used    bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, day)
);
