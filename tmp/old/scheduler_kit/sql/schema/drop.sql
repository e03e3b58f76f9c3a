-- RESTRICT: a schema that still holds objects the kit does not manage is never emptied by a destroy.
DROP SCHEMA IF EXISTS {{name}} RESTRICT
