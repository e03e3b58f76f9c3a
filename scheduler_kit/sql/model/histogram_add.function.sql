-- Adds a sparse histogram (an integer array indexed by bucket, with any lower bound; NULL elements count 0) to
-- another. The rollups store only the span of buckets a job's durations reach, so a histogram is a few dozen
-- integers rather than one per possible bucket.
CREATE OR REPLACE FUNCTION scheduler_private.histogram_add(p_histogram integer[], p_delta integer[])
RETURNS integer[]
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
DECLARE
  result integer[] := p_histogram;
  k integer;
BEGIN
  IF p_delta IS NULL THEN
    RETURN result;
  END IF;
  FOR k IN pg_catalog.array_lower(p_delta, 1) .. pg_catalog.array_upper(p_delta, 1) LOOP
    IF p_delta[k] IS NOT NULL AND p_delta[k] <> 0 THEN
      result[k] := coalesce(result[k], 0) + p_delta[k];
    END IF;
  END LOOP;
  RETURN result;
END
$$;
