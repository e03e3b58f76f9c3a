-- A role the model lists holds its privileges without the right to grant them on (RESTRICT: a privilege it has
-- already passed on is an error that names it, never revoked behind the model's back).
REVOKE GRANT OPTION FOR ALL ON {{object_type}} {{object}} FROM {{grantee}}
