-- Per-tool history (issue 14): every insert, update and delete of a tools row
-- is kept in tool_revisions with the full definition as it was, written by
-- trigger so that edits made directly in SQL are captured too. The actor is
-- the write service's transaction-local toolport.actor, or sql:<role>
-- (toolport_change_actor, migration 0005); the operation is create, update or
-- delete, or what the write service names in toolport.operation (rollback).
-- Revisions have no foreign key: a deleted tool (or server) keeps its history.
CREATE TABLE "tool_revisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tool_id" uuid NOT NULL,
	"server_id" text NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"operation" text NOT NULL,
	"actor" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tool_revisions_server_name_version_unique" UNIQUE("server_id","name","version")
);
--> statement-breakpoint
COMMENT ON TABLE "tool_revisions" IS 'every version of every tool (REST, registry apply and SQL edits alike), newest = highest version; deleted tools keep theirs';
--> statement-breakpoint
-- A version only ever grows: an UPDATE that sets it lower (or leaves it) gets the next one.
CREATE OR REPLACE FUNCTION toolport_touch_tool() RETURNS trigger AS $$
BEGIN
  IF NEW.version IS NULL OR NEW.version <= OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- A tool created under a name that has history (deleted, then created again)
-- continues that history's versions instead of starting again at 1.
CREATE OR REPLACE FUNCTION toolport_continue_tool_version() RETURNS trigger AS $$
DECLARE
  newest integer;
BEGIN
  SELECT max(version) INTO newest FROM tool_revisions WHERE server_id = NEW.server_id AND name = NEW.name;
  IF newest IS NOT NULL AND NEW.version <= newest THEN
    NEW.version := newest + 1;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tools_continue_version BEFORE INSERT ON tools
  FOR EACH ROW EXECUTE FUNCTION toolport_continue_tool_version();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_tool_definition(t tools) RETURNS jsonb AS $$
  SELECT jsonb_build_object(
    'name', t.name,
    'title', t.title,
    'description', t.description,
    'inputSchema', t.input_schema,
    'outputSchema', t.output_schema,
    'handler', t.handler,
    'config', t.handler_config,
    'annotations', t.annotations,
    'enabled', t.enabled,
    'rateLimit', t.rate_limit
  );
$$ LANGUAGE sql IMMUTABLE;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_tool_revision() RETURNS trigger AS $$
DECLARE
  named text := nullif(current_setting('toolport.operation', true), '');
  keep integer := nullif(current_setting('toolport.revisions_keep', true), '')::integer;
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- The deletion is a version of its own (the next one), holding the definition as it was.
    INSERT INTO tool_revisions (tool_id, server_id, name, version, definition, operation, actor)
      VALUES (OLD.id, OLD.server_id, OLD.name, OLD.version + 1, toolport_tool_definition(OLD), 'delete', toolport_change_actor())
      ON CONFLICT (server_id, name, version) DO NOTHING;
    IF keep IS NOT NULL AND keep > 0 THEN
      DELETE FROM tool_revisions WHERE server_id = OLD.server_id AND name = OLD.name AND version <= OLD.version + 1 - keep;
    END IF;
    RETURN NULL;
  END IF;
  INSERT INTO tool_revisions (tool_id, server_id, name, version, definition, operation, actor)
    VALUES (NEW.id, NEW.server_id, NEW.name, NEW.version, toolport_tool_definition(NEW),
      coalesce(named, CASE WHEN TG_OP = 'INSERT' THEN 'create' ELSE 'update' END), toolport_change_actor())
    ON CONFLICT (server_id, name, version) DO NOTHING;
  -- TOOLPORT_REVISIONS_KEEP, set by the write service for its transaction; edits made in SQL are pruned by its periodic sweep.
  IF keep IS NOT NULL AND keep > 0 THEN
    DELETE FROM tool_revisions WHERE server_id = NEW.server_id AND name = NEW.name AND version <= NEW.version - keep;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tools_record_revision AFTER INSERT OR UPDATE OR DELETE ON tools
  FOR EACH ROW EXECUTE FUNCTION toolport_record_tool_revision();
--> statement-breakpoint
-- Tools that exist before this migration start their history with what they are now.
INSERT INTO tool_revisions (tool_id, server_id, name, version, definition, operation, actor, changed_at)
  SELECT t.id, t.server_id, t.name, t.version, toolport_tool_definition(t), 'create', 'migration', t.updated_at FROM tools t;
