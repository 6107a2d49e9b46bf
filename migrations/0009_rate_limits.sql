-- Token buckets shared by every Toolport process on this database. A process
-- never touches a row per call: it leases tokens in chunks (one INSERT … ON
-- CONFLICT DO UPDATE … RETURNING that refills from now() - updated_at, then
-- hands out what it can) and spends them in memory, giving unused ones back
-- when it stops or a bucket goes idle. A missing row is a full bucket.
CREATE TABLE "rate_limit_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"capacity" integer NOT NULL,
	"refill_per_ms" double precision NOT NULL,
	"tokens" double precision NOT NULL,
	"last_granted" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rate_limit_buckets_capacity" CHECK ("rate_limit_buckets"."capacity" > 0),
	CONSTRAINT "rate_limit_buckets_refill_per_ms" CHECK ("rate_limit_buckets"."refill_per_ms" > 0),
	CONSTRAINT "rate_limit_buckets_tokens" CHECK ("rate_limit_buckets"."tokens" >= 0 AND "rate_limit_buckets"."tokens" <= "rate_limit_buckets"."capacity")
);
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "rate_limit" text;
--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_rate_limit_syntax" CHECK ("servers"."rate_limit" IS NULL OR "servers"."rate_limit" ~ '^[1-9][0-9]{0,8}/([1-9][0-9]{0,3})?(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|d|day|days)$');
--> statement-breakpoint
ALTER TABLE "tools" ADD COLUMN "rate_limit" text;
--> statement-breakpoint
ALTER TABLE "tools" ADD CONSTRAINT "tools_rate_limit_syntax" CHECK ("tools"."rate_limit" IS NULL OR "tools"."rate_limit" ~ '^[1-9][0-9]{0,8}/([1-9][0-9]{0,3})?(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|d|day|days)$');
--> statement-breakpoint
COMMENT ON TABLE rate_limit_buckets IS 'rate limits shared by every Toolport process on this database: one token bucket per key (key:<api key id>, server:<server id>, tool:<server id>/<tool name>); processes lease tokens in chunks and give unused ones back; a missing row is a full bucket, and idle rows are pruned';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.key IS 'what is limited: key:<api key id>, server:<server id> or tool:<server id>/<tool name>';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.capacity IS 'the limit''s request count: the bucket holds at most this many tokens (the burst)';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.refill_per_ms IS 'tokens added per millisecond (requests / period): 600/min is 0.01';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.tokens IS 'tokens left in the shared row as of updated_at, not counting those leased to processes; the current level is least(capacity, tokens + refill_per_ms * milliseconds since updated_at)';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.last_granted IS 'tokens handed to the process that leased last (how RETURNING reports a lease)';
--> statement-breakpoint
COMMENT ON COLUMN rate_limit_buckets.updated_at IS 'when tokens was last computed (a lease or a give-back), by the database clock, so replicas'' clocks do not matter';
--> statement-breakpoint
COMMENT ON COLUMN servers.rate_limit IS 'requests per period for all calls of this server''s tools together, shared by every Toolport process: 600/min, 10/s, 5000/hour; NULL = no limit';
--> statement-breakpoint
COMMENT ON COLUMN tools.rate_limit IS 'requests per period for all calls of this tool together, shared by every Toolport process: 600/min, 10/s, 5000/hour; NULL = no limit';
