-- The sweep of interrupted sends could leave a message QUEUED with no job to send it.
--
-- graphile_worker.add_job (0.17) with a job key is two statements: it first takes the key off an
-- existing job that a worker holds, then inserts, or updates the existing job when nobody holds it.
-- A worker that takes the message's old job between the two makes the second do nothing: the job
-- it took is no longer free to update, and its key was not taken off. That old job may already have
-- found the message SENDING and finished, and the message then waits for a job that never comes.
-- This happens when a worker starts right after the jobs of a crashed one were freed: its runner
-- fetches the freed jobs while its own sweep requeues their messages.
--
-- Now, when add_job neither inserted nor updated a job, the message gets a job without a key of its
-- own. A second job is harmless: delivery claims the message first, and the later of the two finds
-- it sent.
CREATE OR REPLACE FUNCTION onward_requeue_stale_sending(p_reason TEXT, p_job_max_attempts INTEGER)
RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
DECLARE
    v_id TEXT;
    v_job_id BIGINT;
BEGIN
    -- The lock is tried for SENDING rows only (a few at any time), never for the whole table.
    FOR v_id IN SELECT m.id FROM "Message" m WHERE m.status = 'SENDING' LOOP
        -- Free: its claimant's session is gone, or it is recording the outcome right now, in
        -- which case the UPDATE waits for that and then finds the row no longer SENDING.
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtextextended('sending:' || v_id, 0));
        UPDATE "Message" SET status = 'QUEUED', "statusReason" = p_reason,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = v_id AND status = 'SENDING';
        CONTINUE WHEN NOT FOUND;
        SELECT j.id INTO v_job_id FROM graphile_worker.add_job(
            identifier => 'deliver-message',
            payload => json_build_object('messageId', v_id),
            max_attempts => p_job_max_attempts,
            job_key => 'deliver:' || v_id) j;
        IF v_job_id IS NULL THEN
            PERFORM graphile_worker.add_job(
                identifier => 'deliver-message',
                payload => json_build_object('messageId', v_id),
                max_attempts => p_job_max_attempts);
        END IF;
        RETURN NEXT v_id;
    END LOOP;
END;
$$;
