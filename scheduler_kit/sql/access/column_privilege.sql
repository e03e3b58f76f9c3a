-- Whether a role holds a privilege on a column (a table grant covers every column).
SELECT pg_catalog.has_column_privilege(%(role)s, to_regclass(%(object)s), %(column)s, %(privilege)s);
