DROP TRIGGER IF EXISTS {{name}} ON {{table}}
