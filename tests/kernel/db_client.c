// SPDX-License-Identifier: Apache-2.0
// db_client.c: the db kernel test's C client, linked with the real libpq and libmariadb. It
// makes the calls Python's drivers do not: libpq's asynchronous API (PQsendQuery* +
// PQgetResult), PQexecParams, PQprepare/PQexecPrepared, and MariaDB's mysql_send_query +
// mysql_read_query_result and prepared statements. `layout` checks the struct offsets db.bpf.c
// reads against the running libraries instead.
//
// Usage: db-client run PG_PORT MY_PORT   (prints "ready", waits for a line on stdin, queries)
//        db-client sleep PG_PORT MY_PORT (the same, then only DB_SLEEPS x SELECT pg_sleep(0.2))
//        db-client hold PG_PORT MY_PORT  (the same, then prepares statements and sends one slow
//                                         query on each connection; closes both connections at a
//                                         line "close", and exits at the end of stdin, unanswered)
//        db-client many PG_PORT MY_PORT  (the same, then prepares DB_MANY_STATEMENTS statements,
//                                         and exits at the end of stdin)
//        db-client layout PG_PORT MY_PORT
#include <libpq-fe.h>
#include <mysql.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

/* Past DB_TEXTS_EVICT_ABOVE (90% of DB_MAX_PREPARED). */
#define DB_MANY_STATEMENTS 15000

/* The offsets db.h gives, against the headers this client is built with. */
_Static_assert(offsetof(MYSQL, net.last_errno) == DB_MARIADB_MYSQL_ERRNO_OFF,
	       "MYSQL.net.last_errno moved");
_Static_assert(offsetof(MYSQL_STMT, last_errno) == DB_MARIADB_STMT_ERRNO_OFF,
	       "MYSQL_STMT.last_errno moved");

#define CHECK(cond, code)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "db-client: %s failed at line %d\n", #cond, __LINE__);    \
			return code;                                                               \
		}                                                                                  \
	} while (0)

static PGconn *pg_connect(const char *port)
{
	char info[256];
	snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=podtrace dbname=postgres", port);
	PGconn *c = PQconnectdb(info);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "db-client: %s", PQerrorMessage(c));
		return NULL;
	}
	return c;
}

static MYSQL *my_connect(const char *port)
{
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "127.0.0.1", "root", NULL, "pt", (unsigned)atoi(port), NULL, 0)) {
		fprintf(stderr, "db-client: %s\n", mysql_error(m));
		return NULL;
	}
	return m;
}

/* Every result of the query in flight, until NULL; returns the first failed status or 0. */
static int drain(PGconn *c)
{
	int failed = 0;
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType s = PQresultStatus(r);
		if (!failed && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
			failed = s;
		PQclear(r);
	}
	return failed;
}

static int ok_result(PGresult *r)
{
	int ok = r && (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	return ok;
}

static int run_pg(PGconn *c)
{
	/* Asynchronous: one slow query, from the send to the NULL result. */
	CHECK(PQsendQuery(c, "SELECT pg_sleep(0.2)"), 10);
	CHECK(drain(c) == 0, 11);
	const char *one[1] = {"41"};
	for (int i = 0; i < 5; i++) {
		CHECK(PQsendQueryParams(c, "SELECT $1::int + 1", 1, NULL, one, NULL, NULL, 0), 12);
		CHECK(drain(c) == 0, 13);
	}
	/* Prepared, synchronous. */
	CHECK(ok_result(PQprepare(c, "pt_stmt", "SELECT $1::text || 'x'", 1, NULL)), 14);
	for (int i = 0; i < 4; i++)
		CHECK(ok_result(PQexecPrepared(c, "pt_stmt", 1, one, NULL, NULL, 0)), 15);
	for (int i = 0; i < 3; i++)
		CHECK(ok_result(PQexecParams(c, "SELECT $1::int * 2", 1, NULL, one, NULL, NULL, 0)), 16);
	/* Prepared, asynchronous. */
	CHECK(PQsendPrepare(c, "pt_async", "SELECT 42", 0, NULL), 17);
	CHECK(drain(c) == 0, 18);
	for (int i = 0; i < 2; i++) {
		CHECK(PQsendQueryPrepared(c, "pt_async", 0, NULL, NULL, NULL, 0), 19);
		CHECK(drain(c) == 0, 20);
	}
	/* Asynchronous and failing: an error result, then NULL. */
	CHECK(PQsendQuery(c, "SELECT * FROM pt_missing_async"), 21);
	CHECK(drain(c) == PGRES_FATAL_ERROR, 22);
	return 0;
}

static int my_result(MYSQL *m)
{
	MYSQL_RES *res = mysql_store_result(m);
	if (res)
		mysql_free_result(res);
	return mysql_errno(m) == 0;
}

static int stmt_run(MYSQL_STMT *s)
{
	if (mysql_stmt_execute(s))
		return 0;
	mysql_stmt_store_result(s);
	mysql_stmt_free_result(s);
	return 1;
}

static int run_mysql(MYSQL *m)
{
	const char *sleep = "SELECT SLEEP(0.2)";
	CHECK(mysql_send_query(m, sleep, strlen(sleep)) == 0, 30);
	CHECK(mysql_read_query_result(m) == 0, 31);
	CHECK(my_result(m), 32);

	MYSQL_STMT *add = mysql_stmt_init(m);
	const char *sum = "SELECT 1 + 2";
	CHECK(mysql_stmt_prepare(add, sum, strlen(sum)) == 0, 33);
	for (int i = 0; i < 3; i++)
		CHECK(stmt_run(add), 34);
	mysql_stmt_close(add);

	const char *create = "CREATE TEMPORARY TABLE pt_uniq (id INT PRIMARY KEY)";
	CHECK(mysql_real_query(m, create, strlen(create)) == 0, 35);
	MYSQL_STMT *insert = mysql_stmt_init(m);
	const char *ins = "INSERT INTO pt_uniq VALUES (7)";
	CHECK(mysql_stmt_prepare(insert, ins, strlen(ins)) == 0, 36);
	CHECK(stmt_run(insert), 37);
	CHECK(!stmt_run(insert) && mysql_stmt_errno(insert) == 1062, 38); /* ER_DUP_ENTRY */
	mysql_stmt_close(insert);

	MYSQL_STMT *missing = mysql_stmt_init(m);
	const char *bad = "SELECT * FROM pt.missing_stmt";
	CHECK(mysql_stmt_prepare(missing, bad, strlen(bad)) != 0, 39);
	CHECK(mysql_stmt_errno(missing) == 1146, 40); /* ER_NO_SUCH_TABLE */
	mysql_stmt_close(missing);
	return 0;
}

/* The offsets db.bpf.c reads, against what the running libraries say through their API. */
static int layout(PGconn *c, MYSQL *m)
{
	/* PGresult.resultStatus: a result made with each status reads back at the offset. */
	for (int s = PGRES_EMPTY_QUERY; s <= PGRES_PIPELINE_ABORTED; s++) {
		PGresult *r = PQmakeEmptyPGresult(NULL, (ExecStatusType)s);
		CHECK(r, 50);
		int at;
		memcpy(&at, (const char *)r + DB_PG_RESULT_STATUS_OFF, sizeof(at));
		CHECK(at == s && PQresultStatus(r) == (ExecStatusType)s, 51);
		PQclear(r);
	}
	/* PGresult.errFields: the list walk finds the SQLSTATE that PQresultErrorField() gives. */
	PGresult *r = PQexec(c, "SELECT * FROM pt_missing_layout");
	CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR, 52);
	const char *want = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	CHECK(want && strcmp(want, "42P01") == 0, 53);
	const char *field;
	memcpy(&field, (const char *)r + DB_PG_RESULT_ERRFIELDS_OFF, sizeof(field));
	int found = 0;
	for (int i = 0; i < DB_PG_MAX_ERROR_FIELDS && field && !found; i++) {
		if (field[DB_PG_FIELD_CODE_OFF] == 'C')
			found = strncmp(field + DB_PG_FIELD_CONTENTS_OFF, want, 5) == 0 ? 1 : -1;
		else
			memcpy(&field, field, sizeof(field));
	}
	CHECK(found == 1, 54);
	PQclear(r);

	/* MYSQL.net.last_errno and MYSQL_STMT.last_errno after real failures. */
	const char *bad = "SELEC 1";
	CHECK(mysql_real_query(m, bad, strlen(bad)) != 0, 55);
	unsigned at;
	memcpy(&at, (const char *)m + DB_MARIADB_MYSQL_ERRNO_OFF, sizeof(at));
	CHECK(at == 1064 && mysql_errno(m) == 1064, 56);
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *missing = "SELECT * FROM pt.missing_layout";
	CHECK(mysql_stmt_prepare(s, missing, strlen(missing)) != 0, 57);
	memcpy(&at, (const char *)s + DB_MARIADB_STMT_ERRNO_OFF, sizeof(at));
	CHECK(at == 1146 && mysql_stmt_errno(s) == 1146, 58);
	mysql_stmt_close(s);
	return 0;
}

/* The accuracy test's slow query: a known number of statements of a known duration. */
#define DB_SLEEPS 5
static int sleep_pg(PGconn *c)
{
	for (int i = 0; i < DB_SLEEPS; ++i) {
		PGresult *r = PQexec(c, "SELECT pg_sleep(0.2)");
		CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, 70);
		PQclear(r);
	}
	return 0;
}

/* Queries sent and never answered, and prepared statements: their entries go with the
 * connections' close (the line "close") or, at the end of stdin, with the process
 * (DbProbe::sweep_ended_entries()). Statements prepared: two on `c` and two on `m`, which the
 * close ends (PQfinish(), mysql_stmt_close()); one on `stays`, which stays open; one on
 * `resets`, which the close resets (PQreset(): the same PGconn, its statements gone) and
 * prepares another on. */
static int hold(PGconn *c, MYSQL *m, const char *pg_port)
{
	PGconn *stays = pg_connect(pg_port), *resets = pg_connect(pg_port);
	CHECK(stays && resets, 82);
	const char *names[] = {"pt_hold_a", "pt_hold_b"};
	MYSQL_STMT *stmts[2];
	for (int i = 0; i < 2; ++i) {
		PGresult *r = PQprepare(c, names[i], "SELECT 1", 0, NULL);
		CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, 83);
		PQclear(r);
		stmts[i] = mysql_stmt_init(m);
		CHECK(stmts[i] && mysql_stmt_prepare(stmts[i], "SELECT 1", 8) == 0, 84);
	}
	PGresult *r = PQprepare(stays, "pt_hold_c", "SELECT 2", 0, NULL);
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, 85);
	PQclear(r);
	r = PQprepare(resets, "pt_hold_d", "SELECT 3", 0, NULL);
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, 85);
	PQclear(r);
	const char *my_sleep = "SELECT SLEEP(30)";
	CHECK(PQsendQuery(c, "SELECT pg_sleep(30)"), 80);
	CHECK(mysql_send_query(m, my_sleep, strlen(my_sleep)) == 0, 81);
	char line[16];
	int closed = 0;
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "close\n") == 0 && !closed) {
			closed = 1;
			for (int i = 0; i < 2; ++i)
				mysql_stmt_close(stmts[i]);
			PQfinish(c);
			mysql_close(m);
			PQreset(resets);
			CHECK(PQstatus(resets) == CONNECTION_OK, 86);
			r = PQprepare(resets, "pt_hold_e", "SELECT 4", 0, NULL);
			CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, 87);
			PQclear(r);
		}
	}
	/* Unless closed: no PQfinish(), no mysql_close(), the process ends with both in flight. */
	_exit(0);
}

/* More statements prepared on one connection than the tracer keeps texts of without a sweep's
 * eviction (DB_TEXTS_EVICT_ABOVE), in order, none executed; then stays until the end of
 * stdin. */
static int many(PGconn *c)
{
	for (int i = 0; i < DB_MANY_STATEMENTS; ++i) {
		char name[32], text[32];
		snprintf(name, sizeof(name), "pt_many_%d", i);
		snprintf(text, sizeof(text), "SELECT %d", i);
		PGresult *r = PQprepare(c, name, text, 0, NULL);
		CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, 90);
		PQclear(r);
	}
	char line[16];
	while (fgets(line, sizeof(line), stdin)) {
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "sleep") == 0 ||
	    strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "many") == 0) {
		/* The libraries are mapped now (at exec): the test waits until they are probed. */
		printf("ready\n");
		fflush(stdout);
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			return 3;
	}
	PGconn *c = pg_connect(argv[2]);
	MYSQL *m = my_connect(argv[3]);
	if (!c || !m)
		return 4;
	if (strcmp(argv[1], "hold") == 0)
		return hold(c, m, argv[2]);
	if (strcmp(argv[1], "many") == 0)
		return many(c);
	int rc = strcmp(argv[1], "layout") == 0  ? layout(c, m)
		 : strcmp(argv[1], "sleep") == 0 ? sleep_pg(c)
						 : run_pg(c);
	if (rc == 0 && strcmp(argv[1], "run") == 0)
		rc = run_mysql(m);
	PQfinish(c);
	mysql_close(m);
	return rc;
}
