COMMENT ON POLICY {{name}} ON {{table}} IS {{comment}}
