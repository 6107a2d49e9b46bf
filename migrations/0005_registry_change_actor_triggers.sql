-- Record who made each change. The write service sets the transaction-local
-- setting toolport.actor (admin-token, local, seed …); an edit made directly
-- in SQL has none and is recorded as sql:<role>.
CREATE OR REPLACE FUNCTION toolport_change_actor() RETURNS text AS $$
  SELECT coalesce(nullif(current_setting('toolport.actor', true), ''), 'sql:' || current_user::text);
$$ LANGUAGE sql STABLE;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_tool_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.server_id, OLD.name) IS DISTINCT FROM (NEW.server_id, NEW.name)) THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('tools', OLD.server_id, OLD.name, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('tools', NEW.server_id, NEW.name, TG_OP, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_server_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
    INSERT INTO registry_changes (table_name, server_id, operation, actor)
      VALUES ('servers', OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, operation, actor)
      VALUES ('servers', NEW.id, TG_OP, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
COMMENT ON COLUMN registry_changes.actor IS 'who made the change: the Toolport actor (admin-token, local, seed …) or sql:<role> for a direct SQL edit';
