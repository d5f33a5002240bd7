-- Overdue detection by the due-date scheduler: when a dossier was found past its due
-- date while unfinished. Set once, in the same transaction as its dossier.overdue.v1
-- event, so each dossier gets exactly one apology.
ALTER TABLE dossier ADD COLUMN overdue_at timestamptz;

-- The scheduler's scan: dossiers with a due date not yet marked overdue.
CREATE INDEX dossier_due_pending_idx ON dossier (due_at)
    WHERE overdue_at IS NULL AND due_at IS NOT NULL;
-- The gauge's count: overdue dossiers per agency.
CREATE INDEX dossier_overdue_agency_idx ON dossier (agency_id)
    WHERE overdue_at IS NOT NULL;
