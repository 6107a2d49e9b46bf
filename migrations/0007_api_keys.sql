-- API keys: `tp_<prefix>_<secret>`. Only the prefix (the public, indexed half)
-- and a SHA-256 of the secret are stored, never the secret. SHA-256 and not a
-- slow KDF (scrypt, argon2): those exist to make guessing a *low-entropy*
-- password expensive; the secret is 160 random bits, so a stolen hash cannot
-- be brute-forced either way, and a fast hash keeps key resolution (done in
-- memory, on every call) cheap.
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"rate_limit" text,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix"),
	CONSTRAINT "api_keys_name_rule" CHECK (length("api_keys"."name") BETWEEN 1 AND 128),
	CONSTRAINT "api_keys_prefix_rule" CHECK ("api_keys"."prefix" ~ '^[a-z2-7]{8}$'),
	CONSTRAINT "api_keys_secret_hash_sha256" CHECK ("api_keys"."secret_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "api_keys_scopes_not_empty" CHECK (cardinality("api_keys"."scopes") > 0),
	CONSTRAINT "api_keys_rate_limit_rule" CHECK ("api_keys"."rate_limit" IS NULL OR "api_keys"."rate_limit" ~ '^[1-9][0-9]{0,8}/([1-9][0-9]{0,3})?(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|d|day|days)$')
);
--> statement-breakpoint
-- Changes of api_keys go to every process like tool changes (one
-- registry_changes row, server_id '' — a key belongs to no server —, name =
-- the key's prefix, and a NOTIFY), so a revocation made on one replica or in
-- psql reaches the in-memory key ring of every other one. Only columns that
-- change what a key may do fire it: the batched last_used_at updates do not.
CREATE OR REPLACE FUNCTION toolport_record_api_key_change() RETURNS trigger AS $$
DECLARE
  change_id bigint;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.prefix IS DISTINCT FROM NEW.prefix) THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('api_keys', '', OLD.prefix, CASE WHEN TG_OP = 'DELETE' THEN 'DELETE' ELSE 'UPDATE' END, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO registry_changes (table_name, server_id, name, operation, actor)
      VALUES ('api_keys', '', NEW.prefix, TG_OP, toolport_change_actor())
      RETURNING id INTO change_id;
  END IF;
  PERFORM pg_notify('toolport_registry_changes', change_id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER api_keys_record_change
  AFTER INSERT OR DELETE OR UPDATE OF name, prefix, secret_hash, scopes, rate_limit, expires_at, revoked_at ON api_keys
  FOR EACH ROW EXECUTE FUNCTION toolport_record_api_key_change();
--> statement-breakpoint
COMMENT ON TABLE api_keys IS 'API keys (tp_<prefix>_<secret>): the public prefix and a SHA-256 of the secret, never the secret; scoped <server|*>:<action>[:<tool-glob>] or admin';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.name IS 'who the key is for (e.g. ci-agent); shown in the audit log beside the key id';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.prefix IS 'the public part of the key (8 of a-z, 2-7): tp_<prefix>_…; identifies a key in logs, lists and revoke';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.secret_hash IS 'hex SHA-256 of the secret part; the secret itself is shown once, at creation, and stored nowhere';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.scopes IS 'what the key may do: <server|*>:list|call|write[:<tool-glob>] (globs for list and call), or admin';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.rate_limit IS 'the key''s own limit, <requests>/<unit> as src/auth/rate-spec.ts writes it (e.g. 600/min, 10/s); NULL: none of its own';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.expires_at IS 'the key stops working at this time; NULL: never expires';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.revoked_at IS 'set when revoked (UPDATE api_keys SET revoked_at = now() … works too); a revoked key never works again';
--> statement-breakpoint
COMMENT ON COLUMN api_keys.last_used_at IS 'the last successful use, written in batches (about once a minute), so it may lag';
