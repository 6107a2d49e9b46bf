-- Admin UI sign-ins (issue 18): POST /ui/session exchanges an API key or the
-- admin token for an HttpOnly session cookie; this table keeps a SHA-256
-- digest of the cookie's random token (never the credential), who signed in,
-- and when the session ends. Sign-out deletes the row; a revoked or expired
-- key ends its sessions at once (checked on every request).
CREATE TABLE "ui_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"actor" text NOT NULL,
	"key_id" uuid,
	"token_check" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ui_sessions_id_sha256" CHECK ("ui_sessions"."id" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "ui_sessions_credential" CHECK (("ui_sessions"."key_id" IS NOT NULL) <> ("ui_sessions"."token_check" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "ui_sessions" ADD CONSTRAINT "ui_sessions_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ui_sessions_expires_at" ON "ui_sessions" USING btree ("expires_at");
--> statement-breakpoint
COMMENT ON TABLE ui_sessions IS 'admin UI sessions (POST /ui/session); DELETE a row to sign that browser out on every process (within 10 s)';
--> statement-breakpoint
COMMENT ON COLUMN ui_sessions.id IS 'SHA-256 (hex) of the session cookie''s token; the token itself is only in the browser';
--> statement-breakpoint
COMMENT ON COLUMN ui_sessions.token_check IS 'admin-token sessions: HMAC-SHA256 of TOOLPORT_ADMIN_TOKEN keyed by the session token; a changed admin token ends them';
