ALTER TABLE "api_tokens" ADD COLUMN "created_by_id" uuid;--> statement-breakpoint
ALTER TABLE "password_resets" ADD COLUMN "email" text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Grants made before this migration carried every permission grantable on one app: keep that, then require a value.
ALTER TABLE "app_grants" ADD COLUMN "permissions" text[] DEFAULT '{app:read,app:update,app:delete,app:deploy,app:lifecycle,app:env:write,app:env:read-secrets}' NOT NULL;--> statement-breakpoint
ALTER TABLE "app_grants" ALTER COLUMN "permissions" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "app_grants" ADD COLUMN "granted_by_id" uuid;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_id_users_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_grants" ADD CONSTRAINT "app_grants_granted_by_id_users_id_fk" FOREIGN KEY ("granted_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_created_by_idx" ON "api_tokens" USING btree ("created_by_id");--> statement-breakpoint
CREATE INDEX "app_grants_granted_by_idx" ON "app_grants" USING btree ("granted_by_id");