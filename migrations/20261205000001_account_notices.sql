-- Every instance keeps who is asking (session, user, device check) in
-- memory and drops it on the notice channel (server/src/session_cache.rs).
-- A device row's deletion is announced already (devices_announce_end);
-- this announces every change to an account row (role, password, disable,
-- name), so each instance drops that user and everything of theirs.
CREATE FUNCTION announce_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lockstep_changes', json_build_object(
        'entity', 'account',
        'id', OLD.id,
        'action', lower(TG_OP),
        'version', NULL,
        'by', '',
        'by_id', OLD.id
    )::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_announce_change
AFTER UPDATE OR DELETE ON users
FOR EACH ROW
EXECUTE FUNCTION announce_account_change();
