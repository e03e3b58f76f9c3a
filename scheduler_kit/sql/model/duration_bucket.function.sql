-- The bucket of the statistics rollups' duration histogram that holds a duration in milliseconds: 1 for 0 ms, then
-- eight buckets per doubling (scheduler_kit/duration_histogram.py computes the bounds and documents the 95th
-- percentile's error bound). A binary search over integer bounds, so the bucket of a value never depends on floating
-- point rounding. PL/pgSQL so that the bounds are parsed once per session.
CREATE OR REPLACE FUNCTION scheduler_private.duration_bucket(p_duration_ms integer)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
BEGIN
  RETURN pg_catalog.width_bucket(p_duration_ms, {{bounds}}::integer[]);
END
$$;
