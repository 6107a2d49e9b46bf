CREATE TABLE "registry_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"table_name" text NOT NULL,
	"server_id" text NOT NULL,
	"name" text,
	"operation" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
