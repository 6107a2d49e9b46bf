-- Every change to a tool row bumps its version and updated_at, whether it comes
-- from the REST API or from a plain SQL UPDATE in psql: validators are compiled
-- once per (tool, version), so a SQL edit must never keep a stale version.
CREATE OR REPLACE FUNCTION toolport_touch_tool() RETURNS trigger AS $$
BEGIN
  IF NEW.version IS NOT DISTINCT FROM OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tools_touch BEFORE UPDATE ON tools
  FOR EACH ROW EXECUTE FUNCTION toolport_touch_tool();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION toolport_touch_server() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER servers_touch BEFORE UPDATE ON servers
  FOR EACH ROW EXECUTE FUNCTION toolport_touch_server();
