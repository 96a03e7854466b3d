-- Rate-limit counters are written on every sign-in attempt, report and skip, each in its own
-- commit. As an ordinary table every one of those commits waited for the write-ahead log to reach
-- the disk. Unlogged, they don't: PostgreSQL writes no log for the table, so a commit that only
-- counted a request returns at once. The price is that the counts start again from zero after a
-- crash of the database server (an unlogged table is emptied when it recovers) and are not copied
-- to a standby: a limit then restarts its window, which is harmless. A clean restart keeps them.
ALTER TABLE "rate_limits" SET UNLOGGED;
