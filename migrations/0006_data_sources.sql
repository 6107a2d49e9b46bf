CREATE TABLE "data_sources" (
	"id" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"kind" text DEFAULT 'postgres' NOT NULL,
	"url" text,
	"access" text DEFAULT 'read_only' NOT NULL,
	"pool_size" integer DEFAULT 5 NOT NULL,
	"statement_timeout_ms" integer DEFAULT 5000 NOT NULL,
	"row_limit" integer DEFAULT 1000 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_sources_id_rule" CHECK ("data_sources"."id" ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
	CONSTRAINT "data_sources_kind_postgres" CHECK ("data_sources"."kind" = 'postgres'),
	CONSTRAINT "data_sources_url_secret_reference" CHECK ("data_sources"."url" IS NULL OR "data_sources"."url" ~ '^[$][{]secret:[A-Za-z_][A-Za-z0-9_]{0,127}[}]$'),
	CONSTRAINT "data_sources_url_only_samples_null" CHECK (("data_sources"."url" IS NULL) = ("data_sources"."id" = 'samples')),
	CONSTRAINT "data_sources_samples_read_only" CHECK ("data_sources"."id" <> 'samples' OR "data_sources"."access" = 'read_only'),
	CONSTRAINT "data_sources_access" CHECK ("data_sources"."access" IN ('read_only', 'read_write')),
	CONSTRAINT "data_sources_pool_size" CHECK ("data_sources"."pool_size" BETWEEN 1 AND 100),
	CONSTRAINT "data_sources_statement_timeout_ms" CHECK ("data_sources"."statement_timeout_ms" BETWEEN 1 AND 3600000),
	CONSTRAINT "data_sources_row_limit" CHECK ("data_sources"."row_limit" BETWEEN 1 AND 100000)
);
--> statement-breakpoint
-- The built-in source: Toolport's own database, read through a role that may
-- only SELECT the sample tables (taken with SET LOCAL ROLE in each call's
-- transaction). It has no URL; only its description, enabled, row limit and
-- statement timeout may change, and it cannot be deleted through Toolport.
INSERT INTO data_sources (id, description, url, access)
  VALUES ('samples', 'Toolport''s offline sample tables (sample_stock_quotes, sample_financial_news, sample_weather), read only', NULL, 'read_only')
  ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_touch_data_source() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER data_sources_touch BEFORE UPDATE ON data_sources
  FOR EACH ROW EXECUTE FUNCTION toolport_touch_data_source();
--> statement-breakpoint
-- Changes of data_sources go live like tool changes: one registry_changes row
-- (server_id '' — a source belongs to no server — and name = the source id)
-- and a NOTIFY of its id; every process then re-reads its sources. A renamed
-- id records both the old and the new one.
CREATE OR REPLACE FUNCTION toolport_record_data_source_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('data_sources', '', OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('data_sources', '', NEW.id, TG_OP, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER data_sources_record_change AFTER INSERT OR UPDATE OR DELETE ON data_sources
  FOR EACH ROW EXECUTE FUNCTION toolport_record_data_source_change();
--> statement-breakpoint
COMMENT ON TABLE data_sources IS 'databases that sql tools and the database tool pack query; the URL is a ${secret:NAME} reference (env TOOLPORT_SECRET_NAME), never a value';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.id IS 'the name sql tools use in handler_config.source (lowercase letters, digits, _ and -; at most 64)';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.kind IS 'the database kind: postgres';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.url IS 'exactly one ${secret:NAME} reference to the connection URL (env TOOLPORT_SECRET_NAME); NULL only for the built-in samples source';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.access IS 'read_only: every statement runs in a READ ONLY transaction; read_write: tools marked write: true may change data';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.pool_size IS 'connections of this source''s pool in each Toolport process (1–100), opened on first use';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.statement_timeout_ms IS 'SET LOCAL statement_timeout of each call, in milliseconds (a tool may ask for less)';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.row_limit IS 'at most this many rows are returned by one statement; more are reported as truncated';
--> statement-breakpoint
COMMENT ON COLUMN data_sources.enabled IS 'a disabled source fails its tools'' calls with unavailable';
