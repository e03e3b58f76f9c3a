-- Whether a role holds a privilege on a table, directly, through a role it inherits from, or through PUBLIC.
SELECT pg_catalog.has_table_privilege(%(role)s, to_regclass(%(object)s), %(privilege)s);
