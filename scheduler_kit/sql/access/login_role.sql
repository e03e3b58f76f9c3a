-- The role the actors log in as (PostgREST's authenticator, or a stand-in).
SELECT session_user::text;
