-- Who did what, when: one row per tool call and registry write (queued by
-- each Toolport process and written in batches), and one per edit of
-- `tools` made directly in SQL (by the trigger below). Rows are kept
-- TOOLPORT_AUDIT_RETENTION_DAYS (default 30) and deleted in small chunks.
-- No foreign keys: the record of a deleted tool or server must outlive it.
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_id" text,
	"actor" text NOT NULL,
	"actor_name" text,
	"server_id" text,
	"tool" text,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"duration_ms" real,
	"version_before" integer,
	"version_after" integer,
	"arguments_digest" text,
	"arguments" jsonb,
	"details" jsonb,
	CONSTRAINT "audit_log_arguments_digest_sha256" CHECK ("audit_log"."arguments_digest" IS NULL OR "audit_log"."arguments_digest" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE INDEX "audit_log_server_id_at_index" ON "audit_log" USING btree ("server_id", "at");
--> statement-breakpoint
CREATE INDEX "audit_log_actor_at_index" ON "audit_log" USING btree ("actor", "at");
--> statement-breakpoint
CREATE INDEX "audit_log_at_index" ON "audit_log" USING btree ("at");
--> statement-breakpoint
-- Edits of `tools` made directly in SQL (psql, a migration of someone's own)
-- are audited here as sql:<role>. The write service sets toolport.actor and
-- audits its own writes with the request id and the caller, so a row written
-- with the setting present is skipped: no write is recorded twice. An UPDATE
-- that only flips `enabled` is recorded as enable/disable; any other as
-- update, with the changed columns in details.changed.
CREATE OR REPLACE FUNCTION toolport_audit_sql_tool_edit() RETURNS trigger AS $$
DECLARE
  changed text[];
  verb text;
  extra jsonb;
BEGIN
  IF nullif(current_setting('toolport.actor', true), '') IS NOT NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor, actor_name, server_id, tool, action, outcome, version_after, details)
      VALUES (toolport_change_actor(), current_user::text, NEW.server_id, NEW.name, 'create', 'ok', NEW.version, jsonb_build_object('source', 'sql'));
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor, actor_name, server_id, tool, action, outcome, version_before, details)
      VALUES (toolport_change_actor(), current_user::text, OLD.server_id, OLD.name, 'delete', 'ok', OLD.version, jsonb_build_object('source', 'sql'));
  ELSE
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
      FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o USING (key)
      WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('version', 'updated_at');
    verb := CASE WHEN changed = ARRAY['enabled'] THEN CASE WHEN NEW.enabled THEN 'enable' ELSE 'disable' END ELSE 'update' END;
    extra := jsonb_build_object('source', 'sql', 'changed', to_jsonb(changed));
    IF (OLD.server_id, OLD.name) IS DISTINCT FROM (NEW.server_id, NEW.name) THEN
      extra := extra || jsonb_build_object('previous', jsonb_build_object('server_id', OLD.server_id, 'tool', OLD.name));
    END IF;
    INSERT INTO audit_log (actor, actor_name, server_id, tool, action, outcome, version_before, version_after, details)
      VALUES (toolport_change_actor(), current_user::text, NEW.server_id, NEW.name, verb, 'ok', OLD.version, NEW.version, extra);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tools_audit_sql_edit AFTER INSERT OR UPDATE OR DELETE ON tools
  FOR EACH ROW EXECUTE FUNCTION toolport_audit_sql_tool_edit();
--> statement-breakpoint
COMMENT ON TABLE audit_log IS 'who did what, when: tool calls and registry writes (written in batches by Toolport), and tools edits made directly in SQL (by trigger, actor sql:<role>); rows older than TOOLPORT_AUDIT_RETENTION_DAYS are deleted';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.at IS 'when it happened (a call: when it ended)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.request_id IS 'the request id of the REST or MCP request (NULL for SQL edits)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.actor IS 'who: key:<id>, admin-token, local (unauthenticated loopback), oauth:<issuer>#<subject>, sql:<role> for a direct SQL edit, seed …';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.actor_name IS 'a readable name of the actor: the key''s name, the token''s subject, the SQL role';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.action IS 'call, create, update, delete, enable, disable, key.create, key.revoke, source.create, source.update, source.delete …';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.outcome IS 'ok, tool_error (the tool answered with isError), or the error code (bad_request, not_found, timeout, rate_limited …)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.duration_ms IS 'how long a call took, in milliseconds';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.version_before IS 'the tool''s version before a write (NULL for a create)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.version_after IS 'the tool''s version after a write (NULL for a delete)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.arguments_digest IS 'SHA-256 (hex) of the canonical JSON (sorted keys, RFC 8785 style) of a call''s arguments: equal arguments give equal digests';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.arguments IS 'the call''s full arguments, only when TOOLPORT_AUDIT_ARGUMENTS=1 (NULL otherwise)';
--> statement-breakpoint
COMMENT ON COLUMN audit_log.details IS 'what else the event carries (changed columns of an SQL edit, a key''s name, an error message …); secrets only as ${secret:NAME} references';
