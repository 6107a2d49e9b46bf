-- Other MCP servers whose tools a server carries (issue 17). Each enabled row is
-- connected to by every Toolport process; its tools are synced into `tools` as
-- rows of handler kind mcp-proxy. Changes go to every process like data
-- sources (one registry_changes row, name = the upstream id, and a NOTIFY).
CREATE TABLE "upstreams" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"transport" text NOT NULL,
	"url" text,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"command" text,
	"args" text[] DEFAULT '{}' NOT NULL,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prefix" text NOT NULL,
	"include" text[] DEFAULT '{}' NOT NULL,
	"exclude" text[] DEFAULT '{}' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"health_interval_ms" integer DEFAULT 15000 NOT NULL,
	"max_retries" integer DEFAULT 2 NOT NULL,
	"failure_threshold" integer DEFAULT 3 NOT NULL,
	"recovery_timeout_ms" integer DEFAULT 10000 NOT NULL,
	"half_open_max_calls" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upstreams_id_rule" CHECK ("upstreams"."id" ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
	CONSTRAINT "upstreams_transport" CHECK ("upstreams"."transport" IN ('streamable-http', 'stdio')),
	CONSTRAINT "upstreams_transport_target" CHECK (("upstreams"."transport" = 'streamable-http' AND "upstreams"."url" IS NOT NULL) OR ("upstreams"."transport" = 'stdio' AND "upstreams"."command" IS NOT NULL)),
	CONSTRAINT "upstreams_prefix_rule" CHECK ("upstreams"."prefix" ~ '^[A-Za-z0-9_-]{1,64}$')
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_record_upstream_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('upstreams', OLD.server_id, OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('upstreams', NEW.server_id, NEW.id, TG_OP, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER upstreams_record_change AFTER INSERT OR UPDATE OR DELETE ON upstreams
  FOR EACH ROW EXECUTE FUNCTION toolport_record_upstream_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_touch_upstream() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER upstreams_touch BEFORE UPDATE ON upstreams
  FOR EACH ROW EXECUTE FUNCTION toolport_touch_upstream();
--> statement-breakpoint
COMMENT ON TABLE upstreams IS 'other MCP servers whose tools a server carries as mcp-proxy rows named <prefix>_<tool>; headers and env values hold credentials only as ${secret:NAME} references';
--> statement-breakpoint
COMMENT ON COLUMN upstreams.prefix IS 'the namespace of its tools (<prefix>_<tool>); upstreams of one server with the same prefix are one failover group';
--> statement-breakpoint
COMMENT ON COLUMN upstreams.priority IS 'within a failover group, calls go to the healthy upstream with the lowest priority number (round-robin among equals)';
--> statement-breakpoint
COMMENT ON COLUMN upstreams.failure_threshold IS 'consecutive failed calls or health checks that open the circuit breaker (calls then fail fast)';
--> statement-breakpoint
COMMENT ON COLUMN upstreams.recovery_timeout_ms IS 'how long an open breaker waits before half-open probes';
