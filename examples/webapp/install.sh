#!/bin/sh
# Runs after the manifest's files are placed: record the install.
set -e
echo "webapp 2.4.1 installed at $(date -u +%FT%TZ)" >> /srv/www/install.log
