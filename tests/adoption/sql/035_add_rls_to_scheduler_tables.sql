-- Migration 035_add_rls_to_scheduler_tables.sql, as the seed describes it: "1. Enabled RLS on both tables 2. Created
-- 8 policies total (4 per table) 3. Granted appropriate permissions to roles 4. Added policy comments for
-- documentation". The admin check is the seed's, inline in each policy (evaluated per row, through the caller's own
-- read of users); the service's access is by the JWT's role. RLS is enabled, not forced.
ALTER TABLE job_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduled_jobs ENABLE ROW LEVEL SECURITY;

CREATE POLICY job_schedules_select_admin_service ON job_schedules
  FOR SELECT
  USING (
    auth.jwt() ->> 'role' = 'service_role'
    OR EXISTS (
      SELECT 1 FROM users
      WHERE users.clerk_user_id = auth.jwt() ->> 'sub'
      AND users.role = 'admin'
    )
  );
CREATE POLICY job_schedules_insert_service ON job_schedules
  FOR INSERT
  WITH CHECK (auth.jwt() ->> 'role' = 'service_role');
CREATE POLICY job_schedules_update_admin_service ON job_schedules
  FOR UPDATE
  USING (
    auth.jwt() ->> 'role' = 'service_role'
    OR EXISTS (
      SELECT 1 FROM users
      WHERE users.clerk_user_id = auth.jwt() ->> 'sub'
      AND users.role = 'admin'
    )
  );
CREATE POLICY job_schedules_delete_service ON job_schedules
  FOR DELETE
  USING (auth.jwt() ->> 'role' = 'service_role');

CREATE POLICY scheduled_jobs_select_admin_service ON scheduled_jobs
  FOR SELECT
  USING (
    auth.jwt() ->> 'role' = 'service_role'
    OR EXISTS (
      SELECT 1 FROM users
      WHERE users.clerk_user_id = auth.jwt() ->> 'sub'
      AND users.role = 'admin'
    )
  );
CREATE POLICY scheduled_jobs_insert_service ON scheduled_jobs
  FOR INSERT
  WITH CHECK (auth.jwt() ->> 'role' = 'service_role');
CREATE POLICY scheduled_jobs_update_service ON scheduled_jobs
  FOR UPDATE
  USING (auth.jwt() ->> 'role' = 'service_role');
CREATE POLICY scheduled_jobs_delete_service ON scheduled_jobs
  FOR DELETE
  USING (auth.jwt() ->> 'role' = 'service_role');

COMMENT ON POLICY job_schedules_select_admin_service ON job_schedules IS 'Admins can view configs';
COMMENT ON POLICY job_schedules_insert_service ON job_schedules IS 'Services can register jobs';
COMMENT ON POLICY job_schedules_update_admin_service ON job_schedules IS 'Admins can enable/disable';
COMMENT ON POLICY job_schedules_delete_service ON job_schedules IS 'Services can delete (rare)';
COMMENT ON POLICY scheduled_jobs_select_admin_service ON scheduled_jobs IS 'Admins can view history';
COMMENT ON POLICY scheduled_jobs_insert_service ON scheduled_jobs IS 'Services can create records';
COMMENT ON POLICY scheduled_jobs_update_service ON scheduled_jobs IS 'Services can update records';
COMMENT ON POLICY scheduled_jobs_delete_service ON scheduled_jobs IS 'Services can cleanup old records';

-- "Granted appropriate permissions to roles", over Supabase's default privileges (which already gave anon,
-- authenticated and service_role ALL on both tables and EXECUTE on both functions: these grants add nothing).
GRANT SELECT, UPDATE ON job_schedules TO authenticated;
GRANT SELECT ON scheduled_jobs TO authenticated;
GRANT ALL ON job_schedules, scheduled_jobs TO service_role;
GRANT EXECUTE ON FUNCTION get_job_execution_history TO authenticated;
GRANT EXECUTE ON FUNCTION get_job_execution_stats TO authenticated;
