CREATE TABLE "sample_financial_news" (
	"id" serial PRIMARY KEY NOT NULL,
	"symbol" text,
	"headline" text NOT NULL,
	"summary" text NOT NULL,
	"url" text,
	"publisher" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sample_stock_quotes" (
	"symbol" text PRIMARY KEY NOT NULL,
	"company_name" text NOT NULL,
	"currency" text NOT NULL,
	"price" double precision NOT NULL,
	"previous_close" double precision,
	"as_of" date NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sample_weather" (
	"location" text PRIMARY KEY NOT NULL,
	"latitude" double precision NOT NULL,
	"longitude" double precision NOT NULL,
	"temperature_c" double precision NOT NULL,
	"relative_humidity" double precision,
	"wind_speed_kmh" double precision,
	"weather_code" integer,
	"conditions" text NOT NULL,
	"as_of" date NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"port" integer,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "servers_port_unique" UNIQUE("port")
);
--> statement-breakpoint
CREATE TABLE "tools" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text,
	"description" text NOT NULL,
	"input_schema" jsonb NOT NULL,
	"output_schema" jsonb,
	"handler" text NOT NULL,
	"handler_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"annotations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tools_server_id_name_unique" UNIQUE("server_id","name")
);
--> statement-breakpoint
ALTER TABLE "tools" ADD CONSTRAINT "tools_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE cascade;