#!/usr/bin/env bash
# Restore a JHOP backup (deploy/backup.sh) into a new database, and its uploaded files
# into an empty folder. Nothing existing is overwritten: the database must not exist yet,
# the folder must be empty or missing.
#
#   deploy/restore.sh DUMP DATABASE [MEDIA_ARCHIVE MEDIA_DIRECTORY]
#
# DATABASE is the name of the database to create, on the PostgreSQL server that
# DATABASE_URL (from the environment, or else /etc/jhop/jhop.env) points at; that
# database is left alone. Afterwards, point DATABASE_URL (and MEDIA_ROOT) at what was
# restored, run `manage.py migrate` (nothing to do for a backup of the same version)
# and restart the services.
set -euo pipefail

# Variables not set in the environment are read from the site's environment file
# (JHOP_ENV_FILE, default /etc/jhop/jhop.env), as the services read it.
env_file=${JHOP_ENV_FILE:-/etc/jhop/jhop.env}
from_env_file() {
  [ -r "$env_file" ] || return 0
  sed -n "s/^$1=//p" "$env_file" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}
: "${DATABASE_URL:=$(from_env_file DATABASE_URL)}"

if [ $# -ne 2 ] && [ $# -ne 4 ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
dump=$1 database=$2 archive=${3:-} media=${4:-}
: "${DATABASE_URL:?DATABASE_URL is not set (it names the server to restore on)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "restore.sh restores PostgreSQL; DATABASE_URL is not a postgres:// URL" >&2; exit 2 ;;
esac
[ -f "$dump" ] || { echo "no such dump: $dump" >&2; exit 2; }
case "$database" in
  *[!A-Za-z0-9_]* | "") echo "database name: letters, digits and _ only" >&2; exit 2 ;;
esac

base=${DATABASE_URL%%\?*}
query=${DATABASE_URL#"$base"}
target="${base%/*}/$database$query"

if [ -n "$archive" ]; then
  [ -f "$archive" ] || { echo "no such archive: $archive" >&2; exit 2; }
  if [ -d "$media" ] && [ -n "$(ls -A "$media")" ]; then
    echo "$media is not empty: restore the uploads into an empty folder" >&2
    exit 2
  fi
fi

createdb --maintenance-db="$DATABASE_URL" "$database"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$dump"
echo "database restored: $database"

if [ -n "$archive" ]; then
  mkdir -p "$media"
  tar --extract --gzip --file="$archive" --directory="$media"
  echo "uploads restored: $media"
fi
