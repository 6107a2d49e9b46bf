-- 2025-era MCP sessions (issue 16): written once when a client initializes,
-- so every Toolport process on this database accepts the session id (no
-- sticky routing); each process caches the sessions it serves and writes
-- last_seen_at back in batches. A deleted row ends the session everywhere:
-- the trigger logs the deletion in registry_changes (table_name
-- 'mcp_sessions', name = the session id) and NOTIFYs it like a registry
-- change. Inserts and last_seen_at updates are not logged.
CREATE TABLE "mcp_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"actor" text NOT NULL,
	"protocol_version" text NOT NULL,
	"client_info" jsonb NOT NULL,
	"client_capabilities" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "mcp_sessions_last_seen_at" ON "mcp_sessions" USING btree ("last_seen_at");
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_mcp_session_end() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
    VALUES ('mcp_sessions', OLD.server_id, OLD.id, 'DELETE', toolport_change_actor())
    RETURNING id INTO change_id;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER mcp_sessions_record_end
  AFTER DELETE ON mcp_sessions
  FOR EACH ROW EXECUTE FUNCTION toolport_record_mcp_session_end();
--> statement-breakpoint
COMMENT ON TABLE mcp_sessions IS '2025-era MCP sessions (Mcp-Session-Id), shared by every Toolport process on this database; DELETE a row to end that session everywhere';
--> statement-breakpoint
COMMENT ON COLUMN mcp_sessions.server_id IS 'the server whose /mcp opened the session (on its port or under /<server>/ on the gateway)';
--> statement-breakpoint
COMMENT ON COLUMN mcp_sessions.actor IS 'who opened it (an API key, a token subject, local): only the same caller may use the session';
--> statement-breakpoint
COMMENT ON COLUMN mcp_sessions.protocol_version IS 'the protocol version negotiated at initialize (2025-11-25, 2025-06-18, 2025-03-26)';
--> statement-breakpoint
COMMENT ON COLUMN mcp_sessions.last_seen_at IS 'the last request or open stream, written back in batches (every TOOLPORT_MCP_SESSION_IDLE_MS / 4, at most 15 s); idle longer than the idle time, the row is deleted';
