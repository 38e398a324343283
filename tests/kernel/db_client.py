# SPDX-License-Identifier: Apache-2.0
# db_client.py: the db kernel test's Python client. psycopg2 runs its queries through libpq's
# PQexec, MySQLdb through libmariadb's mysql_real_query: the libraries a Python service uses.
# Importing the drivers dlopen()s the libraries; it then prints "ready" and waits for a line on
# stdin (the tracer has probed them by then), and runs a known script.
#
# Usage: python3 db_client.py PG_PORT MY_PORT
import sys

import MySQLdb
import psycopg2

print("ready", flush=True)
if not sys.stdin.readline():
    sys.exit(3)

pg = psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), user="podtrace", dbname="postgres")
pg.autocommit = True
my = MySQLdb.connect(host="127.0.0.1", port=int(sys.argv[2]), user="root", db="pt")
my.autocommit(True)


def run(cursor, sleep_sql, missing_table):
    # 20 statements that differ only in their literals: one normalised statement.
    for i in range(20):
        cursor.execute("SELECT %s", (i * 7,))
    cursor.execute("INSERT INTO items (id, name) VALUES (%s, %s)", (1, "it's"))
    # IN lists of different lengths collapse to one statement.
    cursor.execute("SELECT id FROM items WHERE id IN (1, 2, 3)")
    cursor.execute("SELECT id FROM items WHERE id IN (4, 5)")
    for _ in range(3):
        cursor.execute(sleep_sql)
    failures = 0
    for bad in ("SELEC 1", "SELECT * FROM " + missing_table):
        try:
            cursor.execute(bad)
        except Exception:
            failures += 1
    return failures


if run(pg.cursor(), "SELECT pg_sleep(0.2)", "pt_missing") != 2:
    sys.exit(4)
if run(my.cursor(), "SELECT SLEEP(0.2)", "pt.missing") != 2:
    sys.exit(5)
pg.close()
my.close()
