#!/bin/sh
# Start a throwaway PostgreSQL on loopback for the store tests (tests/test_store.py) and export
# DAILYPAPERS_TEST_POSTGRES_URL. Runs as root on a fresh Debian 12 machine (or a
# container without systemd); idempotent (a second run reuses the cluster, role and database).
# Sourced by .ci/run.
set -eu

export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
# The package's postinst normally creates the "main" cluster; create it if it did not.
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
    pg_createcluster "$PG_VERSION" main
fi
# Debian's default listen_addresses is 'localhost' (loopback only), with password (scram) auth
# for host connections from 127.0.0.1 in pg_hba.conf.
if ! pg_ctlcluster "$PG_VERSION" main status >/dev/null 2>&1; then
    pg_ctlcluster "$PG_VERSION" main start
fi
PG_PORT=$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" {print $3}')

pg_sql() { runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAc "$1"; }
# Wait until the server accepts connections (start returns before that on slow machines).
i=0
until pg_sql "SELECT 1" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge 30 ]; then echo "postgresql did not start" >&2; exit 1; fi
    sleep 1
done
if [ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'dailypapers'")" != "1" ]; then
    pg_sql "CREATE ROLE dailypapers LOGIN PASSWORD 'dailypapers'"
fi
if [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = 'dailypapers_test'")" != "1" ]; then
    pg_sql "CREATE DATABASE dailypapers_test OWNER dailypapers"
fi

DAILYPAPERS_TEST_POSTGRES_URL="postgresql+psycopg://dailypapers:dailypapers@127.0.0.1:${PG_PORT}/dailypapers_test"
export DAILYPAPERS_TEST_POSTGRES_URL
echo "DAILYPAPERS_TEST_POSTGRES_URL=$DAILYPAPERS_TEST_POSTGRES_URL"
