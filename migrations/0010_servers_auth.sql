-- Per-server OAuth 2.1 settings (issue 12, part 3): NULL = the server takes no
-- OAuth access tokens (API keys / the admin token only). The shape is
-- validated by src/auth/oauth/settings.ts when it is written and when it is
-- read; the database only insists on a JSON object, so a psql edit cannot
-- store a bare string or array.
ALTER TABLE "servers" ADD COLUMN "auth" jsonb;
--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_auth_object" CHECK ("servers"."auth" IS NULL OR jsonb_typeof("servers"."auth") = 'object');
--> statement-breakpoint
COMMENT ON COLUMN "servers"."auth" IS 'OAuth settings: {issuer, audience (this server''s resource URL), jwksUrl, scopes: {oauthScope: [toolport scopes]}, requiredScopes?, acceptKeys?}; NULL = no OAuth';
