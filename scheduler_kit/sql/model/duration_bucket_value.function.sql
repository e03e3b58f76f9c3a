-- The value that stands for a bucket of the duration histogram: 2ab/(a+b) for the integer durations [a, b] it holds,
-- within (b-a)/(b+a) (at most 4.33%) of any of them; exact for a bucket of one integer.
CREATE OR REPLACE FUNCTION scheduler_private.duration_bucket_value(p_bucket integer)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
DECLARE
  bounds constant integer[] := {{bounds}}::integer[];
  low double precision := bounds[p_bucket];
  high double precision := coalesce(bounds[p_bucket + 1] - 1, 2147483647);
BEGIN
  IF high = 0 THEN
    RETURN 0;
  END IF;
  RETURN 2 * low * high / (low + high);
END
$$;
