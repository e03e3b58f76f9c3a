-- Act as a verified token for the rest of the transaction, the way PostgREST's pre-request query does
-- (Query/PreQuery.hs txVarQuery): the role with set_config('role', ...), which PostgreSQL allows only when the login
-- role may become it, then the claims, the resolved role among them, for auth.jwt().
RESET ROLE;
SELECT pg_catalog.set_config('role', {{role}}, true), pg_catalog.set_config('request.jwt.claims', {{claims}}, true);
