#!/bin/sh
# Exits 0 when the new version is what the web server serves.
grep -q '^2.4.1$' /srv/www/version.txt
