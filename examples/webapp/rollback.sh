#!/bin/sh
# Puts the previous version back (the lab or rollout keeps a snapshot too).
set -e
if [ -f /srv/www/version.txt.previous ]; then mv /srv/www/version.txt.previous /srv/www/version.txt; fi
