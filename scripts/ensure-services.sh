#!/usr/bin/env bash
# Find or start the PostgreSQL and Redis the tests need; print shell exports for them.
#
#   eval "$(scripts/ensure-services.sh)"
#
# PostgreSQL: ORGDESK_TEST_DATABASE_URL when set; else the server on 127.0.0.1:5432 when
# pg_isready answers; else install Debian's postgresql, start its cluster and create a role
# with CREATEDB. Redis: ORGDESK_TEST_REDIS_URL when set; else 127.0.0.1:6379 when it answers;
# else install and start redis-server. Progress goes to stderr, exports to stdout.
set -euo pipefail
say() { printf '%s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

pg_url=${ORGDESK_TEST_DATABASE_URL:-}
if [ -z "$pg_url" ]; then
  if ! command -v pg_isready >/dev/null 2>&1 || ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      say "PostgreSQL not found: installing Debian's postgresql"
      apt_install postgresql
    fi
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "starting PostgreSQL $ver"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p 5432 || { say "PostgreSQL did not start"; exit 1; }
  fi
  # Prefer a trust-auth superuser (this project's machines); else our own role.
  if psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    pg_url="postgres://postgres@127.0.0.1:5432/orgdesk"
  else
    as_root su postgres -c "psql -Atqc \"DO \\\$\\\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orgdesk') THEN
        CREATE ROLE orgdesk LOGIN CREATEDB PASSWORD 'orgdesk';
      END IF; END \\\$\\\$;\"" >&2
    pg_url="postgres://orgdesk:orgdesk@127.0.0.1:5432/orgdesk"
  fi
fi

redis_url=${ORGDESK_TEST_REDIS_URL:-}
if [ -z "$redis_url" ]; then
  redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
  if ! redis_up; then
    command -v redis-server >/dev/null 2>&1 || { say "Redis not found: installing redis-server"; apt_install redis-server; }
    say "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/orgdesk-redis.log >&2
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
    redis_up || { say "Redis did not start"; exit 1; }
  fi
  redis_url="redis://127.0.0.1:6379/15"
fi

printf 'export ORGDESK_PG_URL=%q\n' "$pg_url"
printf 'export ORGDESK_REDIS_URL=%q\n' "$redis_url"
