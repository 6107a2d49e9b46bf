-- Record every change of `tools` and `servers` in registry_changes and announce
-- its id on the channel toolport_registry_changes. NOTIFY is delivered at
-- commit, so listeners never read a change that is not visible yet. A rename
-- (or a move to another server) records both the old and the new name.
CREATE OR REPLACE FUNCTION toolport_record_tool_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.server_id, OLD.name) IS DISTINCT FROM (NEW.server_id, NEW.name)) THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation)
      VALUES ('tools', OLD.server_id, OLD.name, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END)
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation)
      VALUES ('tools', NEW.server_id, NEW.name, TG_OP)
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tools_record_change AFTER INSERT OR UPDATE OR DELETE ON tools
  FOR EACH ROW EXECUTE FUNCTION toolport_record_tool_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_server_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
    INSERT INTO registry_changes (table_name, server_id, operation)
      VALUES ('servers', OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END)
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, operation)
      VALUES ('servers', NEW.id, TG_OP)
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER servers_record_change AFTER INSERT OR UPDATE OR DELETE ON servers
  FOR EACH ROW EXECUTE FUNCTION toolport_record_server_change();
--> statement-breakpoint
CREATE INDEX registry_changes_changed_at ON registry_changes (changed_at);
