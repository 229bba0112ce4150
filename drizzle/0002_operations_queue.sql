ALTER TYPE "public"."operation_type" ADD VALUE 'NODE_POOL_CREATE';--> statement-breakpoint
ALTER TYPE "public"."operation_type" ADD VALUE 'NODE_POOL_DELETE';--> statement-breakpoint
DROP INDEX "operations_queue_idx";--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "operations_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "resource_type" "resource_type" NOT NULL;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "resource_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "step" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "operations_resource_idx" ON "operations" USING btree ("resource_type","resource_id","seq");--> statement-breakpoint
CREATE INDEX "operations_queue_idx" ON "operations" USING btree ("status","seq");