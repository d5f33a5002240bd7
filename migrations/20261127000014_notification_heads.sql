-- The claim finds each dossier's earliest unsent notification of a channel with one
-- ordered scan of that channel's open rows (DISTINCT ON dossier_id ORDER BY seq), so the
-- order index leads with the channel.
DROP INDEX IF EXISTS notification_order;
CREATE INDEX notification_heads ON notification (channel, dossier_id, seq)
    WHERE state IN ('queued', 'sending');
