-- An upstream belongs to a server (issue 17): deleting the server deletes the
-- upstreams that feed it (their delete trigger tells every process, which
-- disconnects them). NOT VALID: rows left by a server deleted before this
-- migration are kept as they are (delete them, then VALIDATE CONSTRAINT);
-- every row written from now on must name a server.
ALTER TABLE "upstreams" ADD CONSTRAINT "upstreams_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action NOT VALID;
