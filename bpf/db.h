/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* db.h: database client queries (libpq, libmariadb/libmysqlclient) shared by db.bpf.c and tracer/probes/db_probe.cpp. */
#pragma once

#include "podtrace_common.h"

/* The statement text copied at the call: enough to recognise a statement, bounded so a record
 * stays small. Longer statements are kept truncated and flagged. */
#define DB_TEXT_LEN 256
/* libpq prepared statement names (PostgreSQL's NAMEDATALEN is 64, terminator included). */
#define DB_NAME_LEN 64
#define DB_MAX_PENDING 16384  /* queries sent and not yet answered, per connection */
#define DB_MAX_PREPARED 16384 /* prepared statement texts, per connection and name / handle */
/* The maps of texts have no eviction of their own (they are allocated on demand): past this
 * many, user space's sweep deletes the least recently used down to DB_TEXTS_KEPT_AFTER_EVICTION
 * (ends no probe sees, such as SQL's DEALLOCATE, would fill them). */
#define DB_TEXTS_EVICT_ABOVE (DB_MAX_PREPARED * 9 / 10)
#define DB_TEXTS_KEPT_AFTER_EVICTION (DB_MAX_PREPARED * 3 / 4)
/* Completed queries streamed per second, all CPUs together; beyond it a query is counted in
 * the kernel's totals (exact) and in `dropped`, but its text is not streamed. */
#define DB_MAX_RECORDS_PER_SEC 5000
/* A PGresult's error fields form a list; libpq stores at most ~18 (S V C M D H P p q W s t c d
 * n F L R), newest first. */
#define DB_PG_MAX_ERROR_FIELDS 24

/* Where the error of a call is, as laid out by the client library on x86_64.
 *
 * libpq, struct pg_result (src/interfaces/libpq/libpq-int.h, PostgreSQL 15 as Debian 12 ships
 * it): int ntups @0, int numAttributes @4, PGresAttDesc *attDescs @8, PGresAttValue **tuples
 * @16, int tupArrSize @24, int numParameters @28, PGresParamDesc *paramDescs @32,
 * ExecStatusType resultStatus @40, char cmdStatus[CMDSTATUS_LEN = 64] @44, int binary @108,
 * PGNoticeHooks noticeHooks (4 pointers) @112, PGEvent *events @144, int nEvents @152,
 * int client_encoding @156, char *errMsg @160, PGMessageField *errFields @168.
 * PGMessageField: struct pgMessageField *next @0, char code @8, char contents[] @9; the
 * SQLSTATE is the field with code 'C'. The db kernel test checks both offsets against the
 * running libpq (PQmakeEmptyPGresult, PQresultErrorField). Out-of-range values are reported as
 * an unknown status, never trusted as a status name. */
#define DB_PG_RESULT_STATUS_OFF 40
#define DB_PG_RESULT_ERRFIELDS_OFF 168
#define DB_PG_FIELD_CODE_OFF 8
#define DB_PG_FIELD_CONTENTS_OFF 9
/* libmariadb 3.x (MariaDB Connector/C, mariadb_com.h / mysql.h / mariadb_stmt.h): MYSQL starts
 * with its NET, whose `unsigned int last_errno` is at 144 (after pvio, 4 buffer pointers, fd,
 * 6 unsigned longs, 5 unsigned ints, fcntl, return_status, 6 flag bytes and unused_4);
 * MYSQL_STMT's `unsigned int last_errno` is at 264. offsetof() on libmariadb-dev's headers and
 * mysql_errno()/mysql_stmt_errno() on the running library pin both in the db tests. Oracle's
 * libmysqlclient lays NET out differently per version: for it the error is reported without
 * its code. */
#define DB_MARIADB_MYSQL_ERRNO_OFF 144
#define DB_MARIADB_STMT_ERRNO_OFF 264

enum db_system {
	DB_SYSTEM_POSTGRES = 0,
	DB_SYSTEM_MYSQL = 1,
	DB_SYSTEMS = 2,
};

/* The library a uprobe is attached to: its bpf_cookie. */
enum db_library {
	DB_LIB_LIBPQ = 1,
	DB_LIB_MARIADB = 2,     /* libmariadb.so.3: error codes are read */
	DB_LIB_MYSQLCLIENT = 3, /* libmysqlclient.so.N: errors without their code */
};

enum db_op {
	DB_OP_QUERY = 0,   /* a statement sent as text */
	DB_OP_PREPARE = 1, /* a statement prepared on the server */
	DB_OP_EXECUTE = 2, /* a prepared statement executed */
};

/* The client function a query was made through. */
enum db_fn {
	DB_FN_PQEXEC = 1,
	DB_FN_PQEXECPARAMS = 2,
	DB_FN_PQPREPARE = 3,
	DB_FN_PQEXECPREPARED = 4,
	DB_FN_PQSENDQUERY = 5,
	DB_FN_PQSENDQUERYPARAMS = 6,
	DB_FN_PQSENDPREPARE = 7,
	DB_FN_PQSENDQUERYPREPARED = 8,
	DB_FN_MYSQL_REAL_QUERY = 9,
	DB_FN_MYSQL_SEND_QUERY = 10, /* answered by mysql_read_query_result() */
	DB_FN_MYSQL_STMT_PREPARE = 11,
	DB_FN_MYSQL_STMT_EXECUTE = 12,
};

/* What a failed query's `status` holds. */
#define DB_STATUS_NONE (-1) /* libpq: no PGresult (PQexec returned NULL) */
#define DB_STATUS_SEND_FAILED (-2) /* PQsend* returned 0 / mysql_send_query failed */

/* One query, from its call to its answer. */
struct db_query {
	__u64 conn;       /* PGconn*, MYSQL* or MYSQL_STMT*: keys the answer to the call */
	__u32 system;     /* enum db_system */
	__u32 op;         /* enum db_op */
	__u32 fn;         /* enum db_fn */
	__u32 library;    /* enum db_library */
	__u32 failed;     /* 1: the query failed */
	__s32 status;     /* libpq: ExecStatusType of the (first failed) result or DB_STATUS_*;
			   * MySQL: the return value */
	__u32 error_code; /* MySQL: the client's errno (1064, 1146...); 0 when not read */
	__u16 text_len;   /* bytes of text, at most DB_TEXT_LEN */
	__u8 truncated;   /* the statement is longer than text */
	char sqlstate[5]; /* libpq: the SQLSTATE of an error result, "" when none was read */
	char text[DB_TEXT_LEN];
};

enum db_event_kind {
	DB_EVENT_QUERY = 1,  /* every completed query, up to DB_MAX_RECORDS_PER_SEC */
	DB_EVENT_CLOSED = 2, /* a libpq connection closed or reset: its prepared statements ended */
};

struct db_event {
	struct pt_event_header hdr;
	__u64 latency_ns;
	struct db_query q;
};

/* DB_EVENT_CLOSED: hdr.pid is the process, hdr.ts_ns the close. */
struct db_closed_event {
	struct pt_event_header hdr;
	__u64 conn;
};

/* (process, connection or statement handle): a query in flight or a prepared statement. */
struct db_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
};

/* libpq prepared statements are named per connection. */
struct db_prepared_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
	char name[DB_NAME_LEN];
};

struct db_text {
	__u64 saved_ns; /* when it was prepared: a close of its connection after this ends it */
	__u64 used_ns;  /* when last prepared or executed: the sweep's eviction order when full */
	__u16 text_len;
	__u8 truncated;
	__u8 pad[5];
	char text[DB_TEXT_LEN];
};
