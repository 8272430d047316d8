CREATE TABLE "spec_automation_agent_configs" (
	"run_id" text PRIMARY KEY NOT NULL,
	"agent_backend" text NOT NULL,
	"agent_version" text NOT NULL,
	"agent_model" text,
	"prompt_pack_version" text,
	"runtime_env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spec_automation_task_artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" text NOT NULL,
	"task_id" uuid,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"storage_path" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spec_automation_credential_audits" (
	"run_id" text PRIMARY KEY NOT NULL,
	"entries" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"missing" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spec_automation_idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spec_automation_run_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" text NOT NULL,
	"phase" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"exit_code" integer,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spec_automation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"temporal_run_id" text,
	"external_ref" text,
	"repository" text NOT NULL,
	"base_branch" text DEFAULT 'main' NOT NULL,
	"branch_name" text,
	"pull_request_url" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"current_phase" text,
	"dry_run" boolean DEFAULT false NOT NULL,
	"requested_spec_input" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result_summary" jsonb,
	"error_code" text,
	"error_message" text,
	"worker_hostname" text,
	"job_container_id" text,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "spec_automation_agent_configs" ADD CONSTRAINT "spec_automation_agent_configs_run_id_spec_automation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."spec_automation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spec_automation_task_artifacts" ADD CONSTRAINT "spec_automation_task_artifacts_run_id_spec_automation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."spec_automation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spec_automation_task_artifacts" ADD CONSTRAINT "spec_automation_task_artifacts_task_id_spec_automation_run_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."spec_automation_run_tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spec_automation_credential_audits" ADD CONSTRAINT "spec_automation_credential_audits_run_id_spec_automation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."spec_automation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spec_automation_run_tasks" ADD CONSTRAINT "spec_automation_run_tasks_run_id_spec_automation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."spec_automation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "spec_automation_task_artifacts_run_name_uq" ON "spec_automation_task_artifacts" USING btree ("run_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "spec_automation_run_tasks_run_phase_attempt_uq" ON "spec_automation_run_tasks" USING btree ("run_id","phase","attempt");--> statement-breakpoint
CREATE INDEX "spec_automation_runs_status_created_idx" ON "spec_automation_runs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "spec_automation_runs_repository_created_idx" ON "spec_automation_runs" USING btree ("repository","created_at");--> statement-breakpoint
CREATE INDEX "spec_automation_runs_created_idx" ON "spec_automation_runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "spec_automation_runs_external_ref_idx" ON "spec_automation_runs" USING btree ("external_ref");