// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* db.bpf.c: database queries as the client library saw them: uprobes on the query functions of libpq and libmariadb/libmysqlclient in the target's own files; one record per completed query, with its text. */
#include "common.bpf.h"
#include "activity.bpf.h"
#include "db.h"
#include "thread_slots.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 max_records_per_sec = DB_MAX_RECORDS_PER_SEC;

/* A synchronous call in progress on a thread (PQexec, mysql_real_query...), or an asynchronous
 * send between its entry and return. `depth` counts the probed libpq functions the call makes
 * itself: PQexec calls PQsendQuery and then PQgetResult through the PLT, and those must not
 * count as queries of their own. */
struct db_call {
	__u64 ts_ns;
	__u32 depth;
	__u16 nests; /* PQexec/PQexecParams/PQprepare/PQexecPrepared: inner libpq calls are depth */
	__u16 sent;  /* mysql_send_query() returned: mysql_read_query_result()'s return ends it */
	struct db_query q;
};

/* In use while ts_ns is set. */
THREAD_SLOTS(calls, struct db_call);

/* Sent, not yet answered: libpq's PQsend* until PQgetResult() returns NULL, mysql_send_query()
 * until mysql_read_query_result(). One query in flight per connection (libpq's pipeline mode,
 * with several, is not followed: the newer send replaces the older). A plain hash, allocated on
 * demand where the kernel allows it (tracer/probes/skeleton_loader.h): an LRU map preallocates
 * all of it at start-up, and would evict a query still in flight. The answer deletes the entry,
 * and so do PQfinish() and mysql_close() on its connection; user space deletes the entries of
 * processes that exited (DbProbe::sweep_ended_entries()), and an update the full map refuses
 * is counted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DB_MAX_PENDING);
	__type(key, struct db_conn_key);
	__type(value, struct db_call);
} pending SEC(".maps");

/* The connection a top-level PQgetResult() call is about, from its entry to its return (a PGconn
 * pointer: in use while not NULL). */
THREAD_SLOTS(get_result_conn, __u64);

/* Statement texts by libpq (connection, name) and by MYSQL_STMT handle, for the executions.
 * Plain hashes allocated on demand where the kernel allows it, as `pending` above: an LRU map
 * preallocates all of it at start-up (12 MB for the two). Their ends: mysql_stmt_close() deletes
 * its handle's text here; a libpq connection's close or reset ends all of its statements at
 * once, which a hash keyed by name cannot find, so it streams a DB_EVENT_CLOSED record and user
 * space deletes the statements prepared on that connection before the close; user space also
 * deletes the texts of processes that exited (DbProbe::sweep_ended_entries()). Ends no probe
 * sees (SQL's DEALLOCATE, libpq 17's PQclosePrepared()) leave texts behind: past 90% full, the
 * sweep deletes the least recently used down to 75%, as the LRU map did. A statement the full
 * map refuses is counted (map_full) and its executions go without their text. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DB_MAX_PREPARED);
	__type(key, struct db_prepared_key);
	__type(value, struct db_text);
} pg_prepared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DB_MAX_PREPARED);
	__type(key, struct db_conn_key);
	__type(value, struct db_text);
} mysql_prepared SEC(".maps");

/* Exact totals per system, whatever was streamed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DB_SYSTEMS);
	__type(key, __u32);
	__type(value, struct pt_op_stats);
} db_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DB_SYSTEMS *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} db_hist SEC(".maps");

/* Completed queries whose record was not streamed (over the rate, or the ring buffer full). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DB_SYSTEMS);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

struct db_rate {
	__u64 second;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_rate);
} rate SEC(".maps");

/* 1 MiB: ~2800 records, over half a second at DB_MAX_RECORDS_PER_SEC while the tracer is busy
 * elsewhere; user space maps the data pages twice, so each MiB is 2 MiB of the tracer's RSS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* A db_call and a db_text are too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_call);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_text);
} text_scratch SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline struct db_call *new_call(__u64 conn, __u32 system, __u32 op, __u32 fn,
						__u32 library)
{
	__u32 zero = 0;
	struct db_call *c = bpf_map_lookup_elem(&scratch, &zero);
	if (!c)
		return NULL;
	c->ts_ns = bpf_ktime_get_ns();
	c->depth = 0;
	c->nests = 0;
	c->sent = 0;
	c->q.conn = conn;
	c->q.system = system;
	c->q.op = op;
	c->q.fn = fn;
	c->q.library = library;
	c->q.failed = 0;
	c->q.status = 0;
	c->q.error_code = 0;
	c->q.text_len = 0;
	c->q.truncated = 0;
	__builtin_memset(c->q.sqlstate, 0, sizeof(c->q.sqlstate));
	c->q.text[0] = 0;
	return c;
}

/* A NUL-terminated statement (libpq). A full buffer means the text may go on. */
static __always_inline void copy_text_str(struct db_call *c, const char *text)
{
	long n = bpf_probe_read_user_str(c->q.text, sizeof(c->q.text), text);
	if (n <= 0) {
		c->q.text[0] = 0;
		return;
	}
	c->q.text_len = (__u16)(n - 1);
	c->q.truncated = n == sizeof(c->q.text);
}

/* A statement with its length (MySQL: it may hold NULs and need no terminator). */
static __always_inline void copy_text_len(struct db_call *c, const char *text, __u64 len)
{
	if (len == (__u64)-1) { /* mysql_real_query(..., -1): strlen() */
		copy_text_str(c, text);
		return;
	}
	__u32 n = len > DB_TEXT_LEN ? DB_TEXT_LEN : (__u32)len;
	if (n == 0)
		return;
	asm volatile("%0 &= 0x1ff" : "+r"(n)); /* 1..DB_TEXT_LEN, provably to the verifier */
	if (n > DB_TEXT_LEN)
		return;
	if (bpf_probe_read_user(c->q.text, n, text))
		return;
	c->q.text_len = (__u16)n;
	c->q.truncated = len > DB_TEXT_LEN;
}

static __always_inline void copy_prepared(struct db_call *c, struct db_text *t)
{
	if (!t)
		return;
	t->used_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel(c->q.text, sizeof(c->q.text), t->text);
	c->q.text_len = t->text_len;
	c->q.truncated = t->truncated;
}

/* Stores the call's statement text under `key` in `map`. */
static __always_inline void save_text(void *map, void *key, struct db_call *c)
{
	__u32 zero = 0;
	struct db_text *t = bpf_map_lookup_elem(&text_scratch, &zero);
	if (!t)
		return;
	bpf_probe_read_kernel(t->text, sizeof(t->text), c->q.text);
	t->saved_ns = bpf_ktime_get_ns();
	t->used_ns = t->saved_ns;
	t->text_len = c->q.text_len;
	t->truncated = c->q.truncated;
	if (bpf_map_update_elem(map, key, t, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
}

static __always_inline bool rate_allows(void)
{
	__u32 zero = 0;
	struct db_rate *r = bpf_map_lookup_elem(&rate, &zero);
	if (!r)
		return false;
	__u64 second = bpf_ktime_get_ns() / 1000000000ull;
	/* Two CPUs may both reset the window: a few extra records, never fewer. */
	if (r->second != second) {
		r->second = second;
		r->count = 0;
	}
	return __sync_fetch_and_add(&r->count, 1) < max_records_per_sec;
}

static __always_inline void count_dropped(__u32 system)
{
	__u64 *n = bpf_map_lookup_elem(&dropped, &system);
	if (n)
		(*n)++;
}

/* Counts the query and streams its record. */
static __always_inline void complete(struct db_call *c)
{
	__u64 latency = bpf_ktime_get_ns() - c->ts_ns;
	__u32 system = c->q.system < DB_SYSTEMS ? c->q.system : DB_SYSTEM_POSTGRES;
	op_stats_add(&db_stats, system, latency, 0, c->q.failed);
	hist_add(&db_hist, system, latency);
	if (!rate_allows()) {
		count_dropped(system);
		return;
	}
	struct db_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		count_dropped(system);
		return;
	}
	fill_header(&e->hdr, PT_FAMILY_DB, DB_EVENT_QUERY, current_cgroup_id());
	e->latency_ns = latency;
	bpf_probe_read_kernel(&e->q, sizeof(e->q), &c->q);
	/* Every query is a record: waking the tracer for each would run its whole poll loop per
	 * query. It reads this ring itself on its poll tick instead. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline void start_call(struct db_call *c, bool nests)
{
	if (!c)
		return;
	c->nests = nests;
	struct db_call *slot = thread_slot_begin(&calls);
	if (slot)
		*slot = *c;
}

/* An inner call of a PQexec-like call on the same connection: counted as depth, not a query. */
static __always_inline bool nested_entry(__u64 conn)
{
	struct db_call *c = thread_slot(&calls);
	if (!c || !c->ts_ns || !c->nests || c->q.conn != conn)
		return false;
	c->depth++;
	return true;
}

/* The call this return belongs to, or NULL when it is an inner call's return (or untracked). */
static __always_inline struct db_call *own_return(void)
{
	struct db_call *c = thread_slot(&calls);
	if (!c || !c->ts_ns)
		return NULL;
	if (c->depth > 0) {
		c->depth--;
		return NULL;
	}
	return c;
}

/* ---- libpq ---- */

static __always_inline bool pg_error_status(__s32 status)
{
	/* PGRES_BAD_RESPONSE, PGRES_NONFATAL_ERROR, PGRES_FATAL_ERROR, PGRES_PIPELINE_ABORTED */
	return status == 5 || status == 6 || status == 7 || status == 11;
}

/* The SQLSTATE of an error result: its 'C' field. */
static __always_inline void pg_sqlstate(const void *res, char sqlstate[5])
{
	const void *field = NULL;
	if (bpf_probe_read_user(&field, sizeof(field), res + DB_PG_RESULT_ERRFIELDS_OFF))
		return;
	for (int i = 0; i < DB_PG_MAX_ERROR_FIELDS && field; i++) {
		char code = 0;
		if (bpf_probe_read_user(&code, 1, field + DB_PG_FIELD_CODE_OFF))
			return;
		if (code == 'C') {
			bpf_probe_read_user(sqlstate, 5, field + DB_PG_FIELD_CONTENTS_OFF);
			return;
		}
		if (bpf_probe_read_user(&field, sizeof(field), field))
			return;
	}
}

/* Records the result's status into the query; the first failed result of a query stays. */
static __always_inline void pg_result(struct db_call *c, const void *res)
{
	if (!res) {
		if (!c->q.failed) {
			c->q.failed = 1;
			c->q.status = DB_STATUS_NONE;
		}
		return;
	}
	__s32 status = 0;
	if (bpf_probe_read_user(&status, sizeof(status), res + DB_PG_RESULT_STATUS_OFF))
		return;
	if (c->q.failed)
		return;
	c->q.status = status;
	if (pg_error_status(status)) {
		c->q.failed = 1;
		pg_sqlstate(res, c->q.sqlstate);
	}
}

static __always_inline int pg_sync_enter(void *ctx, __u64 conn, const char *text, __u32 op, __u32 fn)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	struct db_call *c =
		new_call(conn, DB_SYSTEM_POSTGRES, op, fn, (__u32)bpf_get_attach_cookie(ctx));
	if (!c)
		return 0;
	copy_text_str(c, text);
	start_call(c, true);
	return 0;
}

static __always_inline void remember_pg_prepared(__u64 conn, const char *name, struct db_call *c)
{
	struct db_prepared_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.tgid = current_tgid();
	k.conn = conn;
	if (name)
		bpf_probe_read_user_str(k.name, sizeof(k.name), name);
	save_text(&pg_prepared, &k, c);
}

static __always_inline void recall_pg_prepared(__u64 conn, const char *name, struct db_call *c)
{
	struct db_prepared_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.tgid = current_tgid();
	k.conn = conn;
	if (name)
		bpf_probe_read_user_str(k.name, sizeof(k.name), name);
	copy_prepared(c, bpf_map_lookup_elem(&pg_prepared, &k));
}

/* PGresult *PQexec(PGconn *conn, const char *query) */
SEC("uprobe")
int BPF_KPROBE(pq_exec_uprobe, void *conn, const char *query)
{
	return pg_sync_enter(ctx, (__u64)conn, query, DB_OP_QUERY, DB_FN_PQEXEC);
}

/* PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_exec_params_uprobe, void *conn, const char *command)
{
	return pg_sync_enter(ctx, (__u64)conn, command, DB_OP_QUERY, DB_FN_PQEXECPARAMS);
}

/* PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_prepare_uprobe, void *conn, const char *name, const char *query)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	struct db_call *c = new_call((__u64)conn, DB_SYSTEM_POSTGRES, DB_OP_PREPARE,
				     DB_FN_PQPREPARE, (__u32)bpf_get_attach_cookie(ctx));
	if (!c)
		return 0;
	copy_text_str(c, query);
	remember_pg_prepared((__u64)conn, name, c);
	start_call(c, true);
	return 0;
}

/* PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_exec_prepared_uprobe, void *conn, const char *name)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	struct db_call *c = new_call((__u64)conn, DB_SYSTEM_POSTGRES, DB_OP_EXECUTE,
				     DB_FN_PQEXECPREPARED, (__u32)bpf_get_attach_cookie(ctx));
	if (!c)
		return 0;
	recall_pg_prepared((__u64)conn, name, c);
	start_call(c, true);
	return 0;
}

/* The return of PQexec, PQexecParams, PQprepare and PQexecPrepared: a PGresult*. */
SEC("uretprobe")
int BPF_KRETPROBE(pq_exec_ret_uprobe, const void *res)
{
	if (!current_is_target())
		return 0;
	activity_exit(PT_ACT_DB);
	struct db_call *c = own_return();
	if (!c || !c->nests)
		return 0;
	pg_result(c, res);
	complete(c);
	thread_slot_end(&calls, &c->ts_ns);
	return 0;
}

static __always_inline int pg_send_enter(void *ctx, __u64 conn, const char *text, const char *name,
					 __u32 op, __u32 fn)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	if (nested_entry(conn))
		return 0;
	struct db_call *c =
		new_call(conn, DB_SYSTEM_POSTGRES, op, fn, (__u32)bpf_get_attach_cookie(ctx));
	if (!c)
		return 0;
	if (text)
		copy_text_str(c, text);
	if (op == DB_OP_PREPARE)
		remember_pg_prepared(conn, name, c);
	else if (op == DB_OP_EXECUTE)
		recall_pg_prepared(conn, name, c);
	start_call(c, false);
	return 0;
}

/* int PQsendQuery(PGconn *conn, const char *query) */
SEC("uprobe")
int BPF_KPROBE(pq_send_query_uprobe, void *conn, const char *query)
{
	return pg_send_enter(ctx, (__u64)conn, query, NULL, DB_OP_QUERY, DB_FN_PQSENDQUERY);
}

/* int PQsendQueryParams(PGconn *conn, const char *command, int nParams, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_send_query_params_uprobe, void *conn, const char *command)
{
	return pg_send_enter(ctx, (__u64)conn, command, NULL, DB_OP_QUERY,
			     DB_FN_PQSENDQUERYPARAMS);
}

/* int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_send_prepare_uprobe, void *conn, const char *name, const char *query)
{
	return pg_send_enter(ctx, (__u64)conn, query, name, DB_OP_PREPARE, DB_FN_PQSENDPREPARE);
}

/* int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams, ...) */
SEC("uprobe")
int BPF_KPROBE(pq_send_query_prepared_uprobe, void *conn, const char *name)
{
	return pg_send_enter(ctx, (__u64)conn, NULL, name, DB_OP_EXECUTE,
			     DB_FN_PQSENDQUERYPREPARED);
}

/* The return of the PQsend* functions: 1 when the query went out. It is then answered by the
 * PQgetResult() calls that follow, until one returns NULL. */
SEC("uretprobe")
int BPF_KRETPROBE(pq_send_ret_uprobe, int ok)
{
	if (!current_is_target())
		return 0;
	activity_exit(PT_ACT_DB);
	struct db_call *c = own_return();
	if (!c || c->nests || c->q.system != DB_SYSTEM_POSTGRES)
		return 0;
	if (ok) {
		struct db_conn_key k = {.tgid = current_tgid(), .conn = c->q.conn};
		if (bpf_map_update_elem(&pending, &k, c, BPF_ANY))
			count_lost(PT_LOST_MAP_FULL);
	} else {
		c->q.failed = 1;
		c->q.status = DB_STATUS_SEND_FAILED;
		complete(c);
	}
	thread_slot_end(&calls, &c->ts_ns);
	return 0;
}

/* PGresult *PQgetResult(PGconn *conn) */
SEC("uprobe")
int BPF_KPROBE(pq_get_result_uprobe, void *conn)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	if (nested_entry((__u64)conn))
		return 0;
	struct db_conn_key k = {.tgid = current_tgid(), .conn = (__u64)conn};
	if (!bpf_map_lookup_elem(&pending, &k))
		return 0; /* no query of ours in flight: sent before the trace */
	__u64 *slot = thread_slot_begin(&get_result_conn);
	if (slot)
		*slot = (__u64)conn;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(pq_get_result_ret_uprobe, const void *res)
{
	if (!current_is_target())
		return 0;
	activity_exit(PT_ACT_DB);
	struct db_call *outer = thread_slot(&calls);
	if (outer && outer->ts_ns && outer->nests && outer->depth > 0) {
		outer->depth--;
		return 0;
	}
	__u64 *conn = thread_slot(&get_result_conn);
	if (!conn || !*conn)
		return 0;
	struct db_conn_key k = {.tgid = current_tgid(), .conn = *conn};
	thread_slot_end(&get_result_conn, conn);
	struct db_call *c = bpf_map_lookup_elem(&pending, &k);
	if (!c)
		return 0;
	if (res) {
		pg_result(c, res);
		return 0;
	}
	/* NULL: every result of the query has been returned. */
	complete(c);
	bpf_map_delete_elem(&pending, &k);
	return 0;
}

/* A connection closed with a query unanswered: its entry in `pending` goes with it. (A process
 * that exits instead is swept by user space: DbProbe::sweep_ended_entries().) */
static __always_inline void delete_pending(__u64 conn)
{
	struct db_conn_key k = {.tgid = current_tgid(), .conn = conn};
	bpf_map_delete_elem(&pending, &k);
}

static __always_inline int forget_connection(__u64 conn)
{
	if (current_is_target())
		delete_pending(conn);
	return 0;
}

/* void PQfinish(PGconn *conn); also PQreset() and PQresetStart(), which close the connection
 * and open it again under the same PGconn. The connection's prepared statements end with it:
 * user space deletes them (pg_prepared above). A record the full ring refuses is counted, and
 * those statements then stay until their process exits. */
SEC("uprobe")
int BPF_KPROBE(pq_finish_uprobe, void *conn)
{
	if (!current_is_target())
		return 0;
	delete_pending((__u64)conn);
	struct db_closed_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, PT_FAMILY_DB, DB_EVENT_CLOSED, current_cgroup_id());
	e->conn = (__u64)conn;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* ---- libmariadb / libmysqlclient ---- */

/* The client's error code, where the library's layout is known (libmariadb). */
static __always_inline void mysql_error_code(struct db_call *c)
{
	if (c->q.library != DB_LIB_MARIADB || !c->q.conn)
		return;
	__u64 off = c->q.fn == DB_FN_MYSQL_STMT_PREPARE || c->q.fn == DB_FN_MYSQL_STMT_EXECUTE
			    ? DB_MARIADB_STMT_ERRNO_OFF
			    : DB_MARIADB_MYSQL_ERRNO_OFF;
	__u32 code = 0;
	if (bpf_probe_read_user(&code, sizeof(code), (const void *)(c->q.conn + off)) == 0)
		c->q.error_code = code;
}

static __always_inline int my_enter(void *ctx, __u64 conn, const char *text, __u64 len, __u32 op,
				    __u32 fn)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	struct db_call *c =
		new_call(conn, DB_SYSTEM_MYSQL, op, fn, (__u32)bpf_get_attach_cookie(ctx));
	if (!c)
		return 0;
	if (text)
		copy_text_len(c, text, len);
	if (fn == DB_FN_MYSQL_STMT_EXECUTE) {
		struct db_conn_key k = {.tgid = current_tgid(), .conn = conn};
		copy_prepared(c, bpf_map_lookup_elem(&mysql_prepared, &k));
	}
	start_call(c, false);
	return 0;
}

/* void mysql_close(MYSQL *mysql) */
SEC("uprobe")
int BPF_KPROBE(my_close_uprobe, void *mysql)
{
	return forget_connection((__u64)mysql);
}

/* my_bool mysql_stmt_close(MYSQL_STMT *stmt): the handle's statement text ends. */
SEC("uprobe")
int BPF_KPROBE(my_stmt_close_uprobe, void *stmt)
{
	if (!current_is_target())
		return 0;
	struct db_conn_key k = {.tgid = current_tgid(), .conn = (__u64)stmt};
	bpf_map_delete_elem(&mysql_prepared, &k);
	return 0;
}

/* int mysql_real_query(MYSQL *mysql, const char *q, unsigned long length); mysql_query() jumps
 * here too. */
SEC("uprobe")
int BPF_KPROBE(my_real_query_uprobe, void *mysql, const char *q, unsigned long len)
{
	return my_enter(ctx, (__u64)mysql, q, len, DB_OP_QUERY, DB_FN_MYSQL_REAL_QUERY);
}

/* int mysql_send_query(MYSQL *mysql, const char *q, unsigned long length) */
SEC("uprobe")
int BPF_KPROBE(my_send_query_uprobe, void *mysql, const char *q, unsigned long len)
{
	return my_enter(ctx, (__u64)mysql, q, len, DB_OP_QUERY, DB_FN_MYSQL_SEND_QUERY);
}

/* int mysql_stmt_prepare(MYSQL_STMT *stmt, const char *query, unsigned long length) */
SEC("uprobe")
int BPF_KPROBE(my_stmt_prepare_uprobe, void *stmt, const char *q, unsigned long len)
{
	return my_enter(ctx, (__u64)stmt, q, len, DB_OP_PREPARE, DB_FN_MYSQL_STMT_PREPARE);
}

/* int mysql_stmt_execute(MYSQL_STMT *stmt) */
SEC("uprobe")
int BPF_KPROBE(my_stmt_execute_uprobe, void *stmt)
{
	return my_enter(ctx, (__u64)stmt, NULL, 0, DB_OP_EXECUTE, DB_FN_MYSQL_STMT_EXECUTE);
}

/* int mysql_read_query_result(MYSQL *mysql): the answer to mysql_send_query(). */
SEC("uprobe")
int BPF_KPROBE(my_read_result_uprobe, void *mysql)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DB);
	struct db_conn_key k = {.tgid = current_tgid(), .conn = (__u64)mysql};
	struct db_call *c = bpf_map_lookup_elem(&pending, &k);
	if (!c)
		return 0;
	struct db_call *slot = thread_slot_begin(&calls);
	if (slot)
		*slot = *c;
	bpf_map_delete_elem(&pending, &k);
	return 0;
}

/* The return of every MySQL function above: 0 on success. */
SEC("uretprobe")
int BPF_KRETPROBE(my_ret_uprobe, int ret)
{
	if (!current_is_target())
		return 0;
	activity_exit(PT_ACT_DB);
	struct db_call *c = own_return();
	if (!c || c->q.system != DB_SYSTEM_MYSQL)
		return 0;
	if (c->q.fn == DB_FN_MYSQL_SEND_QUERY && !c->sent && ret == 0) {
		/* Sent: mysql_read_query_result() brings it back to `calls`, and its return ends it. */
		struct db_conn_key k = {.tgid = current_tgid(), .conn = c->q.conn};
		c->sent = 1;
		if (bpf_map_update_elem(&pending, &k, c, BPF_ANY))
			count_lost(PT_LOST_MAP_FULL);
		thread_slot_end(&calls, &c->ts_ns);
		return 0;
	}
	c->q.status = ret;
	if (ret != 0) {
		c->q.failed = 1;
		if (c->q.fn == DB_FN_MYSQL_SEND_QUERY && !c->sent)
			c->q.status = DB_STATUS_SEND_FAILED;
		mysql_error_code(c);
	}
	if (c->q.fn == DB_FN_MYSQL_STMT_PREPARE && !c->q.failed) {
		struct db_conn_key k = {.tgid = current_tgid(), .conn = c->q.conn};
		save_text(&mysql_prepared, &k, c);
	}
	complete(c);
	thread_slot_end(&calls, &c->ts_ns);
	return 0;
}
