DROP POLICY IF EXISTS {{name}} ON {{table}}
