#!/usr/bin/env bash
# PostgreSQL's archive_command: archive-wal.sh SOURCE DESTINATION.
#
# A segment is archived once and durably: copied under a temporary name,
# flushed, renamed, the folder flushed. After a failover the new primary
# may offer a segment the old one had already archived: the same bytes are
# success (archiving must not stall on it), different bytes are refused
# (PostgreSQL keeps the segment and retries, and the log says why).
set -euo pipefail
source="$1"
destination="$2"
if [ -f "$destination" ]; then
    if cmp -s "$source" "$destination"; then exit 0; fi
    echo "archive-wal: $destination exists with other contents; not overwriting it" >&2
    exit 1
fi
# Not "$destination.partial": PostgreSQL archives segments of that name.
partial="$(dirname "$destination")/.incoming.$(basename "$destination").$$"
cp "$source" "$partial"
sync "$partial"
mv "$partial" "$destination"
sync "$(dirname "$destination")"
