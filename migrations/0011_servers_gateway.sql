-- The gateway (issue 13): a server's tools on the gateway's main endpoint are
-- named <tool_prefix>_<tool> (NULL = the server's id); `compose` says whether
-- they are part of it at all; `version` is the server's ETag for
-- PATCH/DELETE /servers/:id with If-Match, bumped by the touch trigger on
-- every update (REST or psql). `port` NULL already means "no listener of its
-- own": such a server is served only through TOOLPORT_GATEWAY_PORT.
ALTER TABLE "servers" ADD COLUMN "tool_prefix" text;
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "compose" boolean DEFAULT true NOT NULL;
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_tool_prefix_syntax" CHECK ("servers"."tool_prefix" IS NULL OR "servers"."tool_prefix" ~ '^[A-Za-z0-9_-]{1,64}$');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_touch_server() RETURNS trigger AS $$
BEGIN
  IF NEW.version IS NOT DISTINCT FROM OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
COMMENT ON COLUMN "servers"."tool_prefix" IS 'prefix of this server''s tools on the gateway /mcp (<prefix>_<tool>); NULL = the server id';
--> statement-breakpoint
COMMENT ON COLUMN "servers"."compose" IS 'whether this server''s tools are part of the gateway''s main endpoint /mcp';
--> statement-breakpoint
COMMENT ON COLUMN "servers"."version" IS 'bumped on every update (ETag of /servers/:id)';
--> statement-breakpoint
COMMENT ON COLUMN "servers"."port" IS 'its own listener''s port; NULL = reachable only through the gateway (TOOLPORT_GATEWAY_PORT)';
