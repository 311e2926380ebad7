#!/usr/bin/env bash
# Back up JHOP: the database (pg_dump, custom format) and the uploaded files (a tar of
# MEDIA_ROOT; skipped when MEDIA_STORAGE is S3-compatible storage, which keeps its own).
#
#   deploy/backup.sh [DIRECTORY]        (default: ./backups)
#
# Reads DATABASE_URL, MEDIA_ROOT and MEDIA_STORAGE from the environment, or else from
# /etc/jhop/jhop.env (JHOP_ENV_FILE), as the services do: deploy/backup.sh /var/backups/jhop
# Writes jhop-<UTC time>.dump and jhop-<UTC time>-media.tar.gz, and prints their paths.
# A file only gets its final name once complete. Restore with deploy/restore.sh.
set -euo pipefail

# Variables not set in the environment are read from the site's environment file
# (JHOP_ENV_FILE, default /etc/jhop/jhop.env), as the services read it.
env_file=${JHOP_ENV_FILE:-/etc/jhop/jhop.env}
from_env_file() {
  [ -r "$env_file" ] || return 0
  sed -n "s/^$1=//p" "$env_file" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}
: "${DATABASE_URL:=$(from_env_file DATABASE_URL)}"
: "${MEDIA_ROOT:=$(from_env_file MEDIA_ROOT)}"
: "${MEDIA_STORAGE:=$(from_env_file MEDIA_STORAGE)}"

: "${DATABASE_URL:?DATABASE_URL is not set (the database to back up)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh backs up PostgreSQL; DATABASE_URL is not a postgres:// URL" >&2; exit 2 ;;
esac
dest=${1:-backups}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"

dump="$dest/jhop-$stamp.dump"
pg_dump --format=custom --no-owner --no-privileges --file="$dump.partial" "$DATABASE_URL"
mv "$dump.partial" "$dump"
echo "$dump"

case "${MEDIA_STORAGE:-}" in
  *S3* | *s3*)
    echo "MEDIA_STORAGE is S3-compatible storage: back up the bucket with its own tools" >&2
    ;;
  *)
    media=${MEDIA_ROOT:-media}
    archive="$dest/jhop-$stamp-media.tar.gz"
    tar --create --gzip --file="$archive.partial" --directory="$media" .
    mv "$archive.partial" "$archive"
    echo "$archive"
    ;;
esac
