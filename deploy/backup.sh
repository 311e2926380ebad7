#!/usr/bin/env bash
# Back up JHOP: the database (pg_dump, custom format) and the uploaded files (a tar of
# MEDIA_ROOT; skipped when MEDIA_STORAGE is S3-compatible storage, which keeps its own).
#
#   deploy/backup.sh [DIRECTORY]        (default: ./backups)
#
# Reads DATABASE_URL, MEDIA_ROOT and MEDIA_STORAGE from the environment, as the site does:
#   set -a; . /etc/jhop/jhop.env; set +a; deploy/backup.sh /var/backups/jhop
# Writes jhop-<UTC time>.dump and jhop-<UTC time>-media.tar.gz, and prints their paths.
# A file only gets its final name once complete. Restore with deploy/restore.sh.
set -euo pipefail

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
