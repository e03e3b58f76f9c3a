-- Act as a verified token for the rest of the transaction: its claims for auth.jwt(), then its role.
RESET ROLE;
SELECT pg_catalog.set_config('request.jwt.claims', {{claims}}, true);
SET LOCAL ROLE {{role}}
