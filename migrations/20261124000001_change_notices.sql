-- Live change notices. Every audited change to a record someone may have
-- open in an editor is announced on the channel `lockstep_changes`, from the
-- same transaction as the change: PostgreSQL delivers a NOTIFY only when its
-- transaction commits, so a rolled-back change announces nothing.
--
-- The notice names the record, its new version and who changed it, never
-- the data itself; listeners filter it by what each user may see.
CREATE FUNCTION announce_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_by text;
BEGIN
    SELECT COALESCE(
               (SELECT display_name FROM users WHERE id = NEW.actor_id),
               (SELECT 'API key ' || name FROM api_keys WHERE id = NEW.api_key_id),
               'someone')
      INTO v_by;
    PERFORM pg_notify('lockstep_changes', json_build_object(
        'entity', NEW.entity,
        'id', NEW.entity_id,
        'action', NEW.action,
        'version', NEW.new_version,
        'by', v_by,
        'by_id', NEW.actor_id
    )::text);
    RETURN NULL;
END;
$$;

-- Only the kinds of record that have editors or live lists: a NOTIFY costs
-- a commit-time lock on the notification queue, so document numbering and
-- the rest stay out of it.
CREATE TRIGGER audit_log_announce_change
AFTER INSERT ON audit_log
FOR EACH ROW
WHEN (NEW.entity IN ('business_card', 'personal_info', 'professional_info', 'client', 'appointment',
                    'assessment', 'assessment_section', 'assessment_tyre', 'assessment_estimate', 'assignment'))
EXECUTE FUNCTION announce_change();
