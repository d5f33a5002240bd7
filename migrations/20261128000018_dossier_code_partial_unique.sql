-- Setting a dossier's code must not wait for other stages' foreign-key checks.
--
-- Rows that reference a dossier (its event history, notifications, lookups) take a
-- FOR KEY SHARE lock on the dossier row while their transaction runs. An UPDATE that
-- changes a column of a unique index usable as a foreign-key target takes the stronger
-- FOR UPDATE lock, which conflicts with FOR KEY SHARE. The route stage sets
-- `dossier_code`, so it waited for the notify stage's transactions on the same dossier,
-- and with group commit (many records per transaction) the two could deadlock.
--
-- A partial unique index enforces the same rule (codes never repeat; NULLs never
-- conflicted) but cannot be a foreign-key target, so setting the code now takes only
-- FOR NO KEY UPDATE. Nothing references dossier (dossier_code).
ALTER TABLE dossier DROP CONSTRAINT dossier_dossier_code_key;
CREATE UNIQUE INDEX dossier_code_unique ON dossier (dossier_code) WHERE dossier_code IS NOT NULL;
