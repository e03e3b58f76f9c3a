-- `make sql`'s file checks every table's existing rows before it changes anything, so that rows breaking the kit's
-- rules are all reported in one error (as `pulumi up` does), not one table at a time.
CREATE TEMP TABLE IF NOT EXISTS schedkit_adoption_reports (report jsonb) ON COMMIT DROP
